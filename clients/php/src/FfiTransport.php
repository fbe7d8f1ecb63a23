<?php

declare(strict_types=1);

namespace Okr;

use FFI;

/**
 * libokr_ffi in the PHP process, through PHP's FFI.
 *
 * Under PHP-FPM (ffi.enable=preload, PHP's default) FFI may only be set up while
 * preloading: load the header once at start-up with `ffi.preload=/path/ffi/okr.h` (or
 * `opcache.preload=/path/preload.php`), and every request then finds it with
 * FFI::scope('OKR'), which is what ffi() does. From the CLI with ffi.enable=1 it falls back
 * to FFI::load(). A sled store admits one process: give each FPM pool its own store, or use
 * HttpTransport to `okr serve` when several processes share one.
 */
final class FfiTransport implements Transport
{
    /** The header (FFI_SCOPE "OKR", FFI_LIB "libokr_ffi.so"). */
    public const HEADER = __DIR__ . '/../ffi/okr.h';

    private FFI\CData $engine;
    private bool $open = true;

    private function __construct(private readonly FFI $ffi, FFI\CData $engine)
    {
        $this->engine = $engine;
    }

    /** The preloaded scope "OKR", or (CLI, ffi.enable=1) the header loaded now. */
    public static function ffi(): FFI
    {
        try {
            return FFI::scope('OKR');
        } catch (FFI\Exception $e) {
            $loaded = FFI::load(self::HEADER);
            if ($loaded === null) {
                throw new OkrException('cannot load ' . self::HEADER . ': ' . $e->getMessage(), Result::INTERNAL, 'INTERNAL');
            }
            return $loaded;
        }
    }

    /** Opens a store directory (or ':memory:') with options JSON ('' for the defaults). */
    public static function open(string $path, string $options = '', ?FFI $ffi = null): self
    {
        $ffi ??= self::ffi();
        $engine = $ffi->new('okr_engine*');
        $err = $ffi->new('okr_error*');
        $rc = $ffi->okr_engine_open($path, strlen($path), $options === '' ? null : $options, strlen($options), FFI::addr($engine), FFI::addr($err));
        self::check($ffi, $rc, $err);
        return new self($ffi, $engine);
    }

    public function execute(array $command): array
    {
        return $this->call('okr_engine_execute', self::encode($command));
    }

    public function executeBatch(array $commands): array
    {
        return $this->call('okr_engine_execute_batch', self::encode(['version' => 1, 'commands' => $commands]));
    }

    public function validate(array $command): array
    {
        return $this->call('okr_engine_validate', self::encode($command));
    }

    public function query(array $query): array
    {
        return $this->call('okr_engine_query', self::encode($query));
    }

    /** Sends a raw JSON text to one of the JSON calls (for tests of the validation). */
    public function raw(string $function, string $json): array
    {
        return $this->call($function, $json);
    }

    public function eventsSince(int $from, int $max = 100): array
    {
        $out = $this->ffi->new('okr_bytes*');
        $err = $this->ffi->new('okr_error*');
        $rc = $this->ffi->okr_engine_events_since($this->engine, $from, $max, FFI::addr($out), FFI::addr($err));
        self::check($this->ffi, $rc, $err);
        return $this->take($out);
    }

    /** Makes every append so far durable. */
    public function flush(): void
    {
        $err = $this->ffi->new('okr_error*');
        self::check($this->ffi, $this->ffi->okr_engine_flush($this->engine, FFI::addr($err)), $err);
    }

    /** Closes the store and frees the handle; later calls fail. */
    public function close(): void
    {
        if ($this->open) {
            $this->open = false;
            $this->ffi->okr_engine_close($this->engine);
        }
    }

    public function __destruct()
    {
        $this->close();
    }

    private function call(string $function, string $json): array
    {
        if (!$this->open) {
            throw new OkrException('the engine is closed', Result::CLOSED, 'CLOSED');
        }
        $out = $this->ffi->new('okr_bytes*');
        $err = $this->ffi->new('okr_error*');
        $rc = $this->ffi->$function($this->engine, $json, strlen($json), FFI::addr($out), FFI::addr($err));
        self::check($this->ffi, $rc, $err);
        return $this->take($out);
    }

    private function take(FFI\CData $out): array
    {
        try {
            $text = FFI::string($this->ffi->okr_bytes_data($out), $this->ffi->okr_bytes_len($out));
        } finally {
            $this->ffi->okr_bytes_free($out);
        }
        return json_decode($text, true, 512, JSON_THROW_ON_ERROR);
    }

    private static function encode(array $message): string
    {
        return json_encode($message, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
    }

    private static function check(FFI $ffi, int $rc, FFI\CData $err): void
    {
        if ($rc === Result::OK) {
            return;
        }
        $message = (string) $ffi->okr_error_message($err); // const char *: PHP copies it
        $ffi->okr_error_free($err);
        $name = (string) $ffi->okr_result_str($rc);
        $rejection = null;
        if ($rc === Result::REJECTED) {
            $rejection = json_decode($message, true);
            $message = is_array($rejection) ? (string) ($rejection['message'] ?? $message) : $message;
        }
        throw new OkrException($message, $rc, $name, is_array($rejection) ? $rejection : null);
    }
}
