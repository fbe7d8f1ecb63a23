<?php

declare(strict_types=1);

namespace Okr;

/**
 * One way to an okr engine. Messages are the C ABI's JSON messages as PHP arrays
 * (okr-ffi/schema/*.json); results come back as arrays. Failures throw OkrException with
 * the C ABI's result code.
 */
interface Transport
{
    /** Executes one command message; a retried command id returns the original outcome with duplicate = true. */
    public function execute(array $command): array;

    /** Executes commands as one all-or-nothing append. */
    public function executeBatch(array $commands): array;

    /** Decides a command without writing it. */
    public function validate(array $command): array;

    /** Answers a query message, e.g. ['query' => 'report']. */
    public function query(array $query): array;

    /** Up to $max events from position $from on: ['events' => [...], 'next_position' => N]. */
    public function eventsSince(int $from, int $max = 100): array;
}
