/// How a transport retries: attempt count, capped exponential backoff with jitter, and `Retry-After`.
///
/// The delay before retry `n` (1-based) is `min(maxDelay, baseDelay · 2^(n-1))`, of which the upper half
/// is random ("equal jitter"), so that clients started together spread out. A `Retry-After` header
/// overrides the backoff when it is no longer than `maxRetryAfter`; a longer wait is not retried.
public struct RetryPolicy: Sendable, Equatable {
    /// The most attempts per request, the first one included; 1 means never retry.
    public var maxAttempts: Int
    /// The delay before the first retry, before jitter.
    public var baseDelay: Duration
    /// The longest backoff delay.
    public var maxDelay: Duration
    /// The longest `Retry-After` the transport will wait for; beyond it the response is returned as is.
    public var maxRetryAfter: Duration
    /// Response statuses retried for idempotent requests.
    public var retryableStatuses: Set<Int>

    /// Creates a policy; the defaults are 4 attempts, 0.25 s doubling up to 8 s, and `Retry-After` up to 60 s.
    public init(
        maxAttempts: Int = 4,
        baseDelay: Duration = .milliseconds(250),
        maxDelay: Duration = .seconds(8),
        maxRetryAfter: Duration = .seconds(60),
        retryableStatuses: Set<Int> = [429, 502, 503, 504]
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.retryableStatuses = retryableStatuses
    }

    /// A policy that never retries.
    public static let never = RetryPolicy(maxAttempts: 1)

    /// The backoff before retry number `retry` (1-based), given a jitter draw in `0..<1`.
    public func backoff(beforeRetry retry: Int, jitter: Double) -> Duration {
        let exponent = min(max(0, retry - 1), 30)
        let uncapped = self.baseDelay * (1 << exponent)
        let capped = min(uncapped, self.maxDelay)
        let clampedJitter = min(max(jitter, 0), 1)
        return capped / 2 + (capped / 2) * clampedJitter
    }
}
