<?php

declare(strict_types=1);

namespace Okr;

/** The C ABI's result codes (okr.h): stable numbers, never reused. */
final class Result
{
    public const OK = 0;
    public const NULL_ARGUMENT = 1;
    public const INVALID_UTF8 = 2;
    public const MALFORMED_JSON = 3;
    public const INVALID_COMMAND = 4;
    public const REJECTED = 5;
    public const STORAGE = 6;
    public const CORRUPT = 7;
    public const NOT_FOUND = 8;
    public const CLOSED = 9;
    public const POISONED = 10;
    public const PANIC = 11;
    public const IMPORT = 12;
    public const VERSION = 13;
    public const INVALID_QUERY = 14;
    public const INVALID_OPTIONS = 15;
    public const INVALID_ARGUMENT = 16;
    public const INTERNAL = 17;
    public const CONFLICT = 18;
    public const TOO_LARGE = 19;
}
