<?php

declare(strict_types=1);

namespace Okr;

/**
 * A failure, with the C ABI's result code (getCode(): 4 INVALID_COMMAND, 5 REJECTED, 19
 * TOO_LARGE, ...; 0 for an HTTP-level refusal such as 401 or 403), its name, the HTTP status
 * (HTTP transport) and, for REJECTED, the rejection as an array.
 */
final class OkrException extends \RuntimeException
{
    public function __construct(
        string $message,
        int $code,
        public readonly string $name,
        public readonly ?array $rejection = null,
        public readonly ?int $httpStatus = null,
    ) {
        parent::__construct($message, $code);
    }
}
