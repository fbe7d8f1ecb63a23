<?php
// opcache.preload script for PHP-FPM: compiles the client classes once at start-up. The
// FFI declarations come from ffi.preload=/path/to/clients/php/ffi/okr.h in the same php.ini
// (FFI::load() here would not work together with opcache.preload_user, which FPM masters
// running as root need); requests then find them with FFI::scope('OKR').
foreach (['Transport', 'Result', 'OkrException', 'HttpTransport', 'FfiTransport'] as $class) {
    opcache_compile_file(__DIR__ . "/src/{$class}.php");
}
