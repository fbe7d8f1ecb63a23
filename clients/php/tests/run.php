<?php
// Plain-PHP tests of the okr client (no Composer needed: a PSR-4 autoloader below).
//
//   php tests/run.php ffi              libokr_ffi through FFI (preloaded scope "OKR" when
//                                      run with -d ffi.enable=preload -d ffi.preload=...)
//   php tests/run.php http <url> <token>   okr serve, organisation kreis-a
//
// Prints "run.php <mode>: ok" and exits 0 when every check holds.

declare(strict_types=1);

spl_autoload_register(function (string $class): void {
    if (str_starts_with($class, 'Okr\\')) {
        require __DIR__ . '/../src/' . str_replace('\\', '/', substr($class, 4)) . '.php';
    }
});

use Okr\FfiTransport;
use Okr\HttpTransport;
use Okr\OkrException;
use Okr\Result;
use Okr\Transport;

function check(bool $ok, string $what): void
{
    if (!$ok) {
        fwrite(STDERR, "check failed: {$what}\n");
        exit(1);
    }
}

function refused(callable $f): OkrException
{
    try {
        $f();
    } catch (OkrException $e) {
        return $e;
    }
    check(false, 'expected a refusal');
    throw new LogicException('unreachable');
}

const ALEX = '00000000-0000-0000-0000-000000000001';

function command(int $n, array $body): array
{
    return [
        'version' => 1.0, // json_encode writes 1.0: read as version 1
        'envelope' => [
            'command_id' => sprintf('00000000-0000-0000-0005-%012d', $n),
            'actor' => ALEX,
            'at' => '2025-01-06T09:00:00Z',
        ],
        'body' => $body,
    ];
}

function person(int $n, string $name): array
{
    return ['type' => 'register_person', 'person' => sprintf('00000000-0000-0000-0006-%012d', $n), 'name' => $name];
}

function exercise(Transport $okr): void
{
    $first = command(1, person(1, 'Alex'));
    $out = $okr->execute($first);
    check($out['positions'] === [0] && $out['duplicate'] === false, 'first command at position 0');
    check($okr->execute($first)['duplicate'] === true, 'a retry is a duplicate');
    $e = refused(fn () => $okr->execute(command(1, person(1, 'Alexandra'))));
    check($e->getCode() === Result::CONFLICT, 'the same command id with another body: ' . $e->getMessage());

    $e = refused(fn () => $okr->execute(command(2, person(1, 'Alex again'))));
    check($e->getCode() === Result::REJECTED && $e->rejection['rejection'] === 'already_exists', 'already exists: ' . $e->getMessage());

    $e = refused(fn () => $okr->execute(command(3, ['type' => 'register_person', 'person' => 7, 'name' => 'X'])));
    check($e->getCode() === Result::INVALID_COMMAND && str_contains($e->getMessage(), '`body.person`'), 'full path: ' . $e->getMessage());

    $e = refused(fn () => $okr->execute(command(4, person(4, str_repeat('x', 10001)))));
    check($e->getCode() === Result::TOO_LARGE && str_contains($e->getMessage(), '`body.name`'), 'text limit: ' . $e->getMessage());

    $dry = $okr->validate(command(5, person(5, 'Mo')));
    check($dry['duplicate'] === false && $dry['events'][0]['body']['type'] === 'person_registered', 'validate');
    check($okr->query(['query' => 'position'])['position'] === 0, 'validate wrote nothing');

    $batch = $okr->executeBatch([command(6, person(6, 'Mo')), command(7, person(7, 'Kim'))]);
    check(count($batch['outcomes']) === 2, 'batch');

    check($okr->query(['query' => 'cycles'])['cycles'] === [], 'no cycles');
    check(isset($okr->query(['query' => 'stats'])['stats']), 'stats');
    $e = refused(fn () => $okr->query(['query' => 'report']));
    check($e->getCode() === Result::NOT_FOUND, 'no report without a cycle');

    $page = $okr->eventsSince(1, 1);
    check(count($page['events']) === 1 && $page['next_position'] === 2, 'a page of one');
    $end = $okr->eventsSince(3, 10);
    check($end['events'] === [] && $end['next_position'] === 3, 'the end of the log');
    $e = refused(fn () => $okr->eventsSince(4, 10));
    check($e->getCode() === Result::NOT_FOUND, 'beyond the end');
}

$mode = $argv[1] ?? '';
if ($mode === 'ffi') {
    if (ini_get('ffi.enable') === 'preload') {
        // The FPM way: the header was loaded at start-up; requests only look the scope up.
        check(FFI::scope('OKR') instanceof FFI, 'the preloaded scope OKR');
    }
    $okr = FfiTransport::open(':memory:');
    exercise($okr);
    $okr->flush();
    $e = refused(fn () => $okr->raw('okr_engine_query', '{"query":"position","query":"state"}'));
    check($e->getCode() === Result::INVALID_QUERY && str_contains($e->getMessage(), 'more than once'), 'repeated key: ' . $e->getMessage());
    $e = refused(fn () => FfiTransport::open("okr\0.db"));
    check($e->getCode() === Result::INVALID_ARGUMENT, 'NUL in a path: ' . $e->getMessage());
    $okr->close();
} elseif ($mode === 'http') {
    [$url, $token] = [$argv[2], $argv[3]];
    $okr = new HttpTransport($url, 'kreis-a', $token);
    exercise($okr);
    $e = refused(fn () => $okr->post('/query', '{"query":"position","query":"state"}'));
    check($e->httpStatus === 400 && str_contains($e->getMessage(), 'more than once'), 'repeated key over HTTP');
    $e = refused(fn () => (new HttpTransport($url, 'kreis-a', 'wrong'))->query(['query' => 'position']));
    check($e->httpStatus === 401, 'unknown token');
    $e = refused(fn () => (new HttpTransport($url, 'kreis-b', $token))->query(['query' => 'position']));
    check($e->httpStatus === 403, 'another organisation');
} else {
    fwrite(STDERR, "usage: php tests/run.php ffi | http <url> <token>\n");
    exit(2);
}
echo "run.php {$mode}: ok\n";
