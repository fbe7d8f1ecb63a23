<?php

declare(strict_types=1);

namespace Okr;

/**
 * HTTP to `okr serve` with PHP's own streams (no curl needed). Safe in every PHP-FPM worker:
 * the server owns the store, the workers share it.
 *
 *     $okr = new HttpTransport('http://127.0.0.1:8080', 'kreis-a', getenv('OKR_TOKEN'));
 *     $outcome = $okr->execute($command);
 */
final class HttpTransport implements Transport
{
    public function __construct(
        private readonly string $baseUrl,
        private readonly string $organisation,
        private readonly string $token,
        private readonly float $timeoutSeconds = 30.0,
    ) {
    }

    public function execute(array $command): array
    {
        return $this->request('POST', '/commands', $command);
    }

    public function executeBatch(array $commands): array
    {
        return $this->request('POST', '/batches', ['version' => 1, 'commands' => $commands]);
    }

    public function validate(array $command): array
    {
        return $this->request('POST', '/validate', $command);
    }

    public function query(array $query): array
    {
        return $this->request('POST', '/query', $query);
    }

    public function eventsSince(int $from, int $max = 100): array
    {
        return $this->request('GET', sprintf('/events?from=%d&limit=%d', $from, $max), null);
    }

    /** Sends a raw body (for tests of the server's validation). */
    public function post(string $path, string $body): array
    {
        return $this->send('POST', $path, $body);
    }

    private function request(string $method, string $path, ?array $body): array
    {
        $json = $body === null ? null : json_encode($body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        return $this->send($method, $path, $json);
    }

    private function send(string $method, string $path, ?string $body): array
    {
        $url = rtrim($this->baseUrl, '/') . '/v1/orgs/' . rawurlencode($this->organisation) . $path;
        $headers = "Authorization: Bearer {$this->token}\r\nAccept: application/json\r\n";
        if ($body !== null) {
            $headers .= "Content-Type: application/json\r\n";
        }
        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => $headers,
            'content' => $body ?? '',
            'ignore_errors' => true,
            'timeout' => $this->timeoutSeconds,
            'protocol_version' => 1.1,
        ]]);
        $text = @file_get_contents($url, false, $context);
        if ($text === false) {
            throw new OkrException("cannot reach okr serve at {$url}", Result::STORAGE, 'UNREACHABLE');
        }
        $status = 0;
        foreach ($http_response_header ?? [] as $h) {
            if (preg_match('#^HTTP/\S+\s+(\d{3})#', $h, $m)) {
                $status = (int) $m[1];
            }
        }
        $data = json_decode($text, true);
        if (!is_array($data)) {
            throw new OkrException("okr serve answered {$status} without JSON: {$text}", Result::INTERNAL, 'INTERNAL', null, $status);
        }
        if ($status >= 400) {
            throw new OkrException(
                (string) ($data['message'] ?? $text),
                (int) ($data['code'] ?? 0),
                (string) ($data['name'] ?? 'HTTP_' . $status),
                $data['rejection'] ?? null,
                $status,
            );
        }
        return $data;
    }
}
