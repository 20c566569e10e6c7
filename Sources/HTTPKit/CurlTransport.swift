import Dispatch
import Foundation
import Synchronization

/// An ``HTTPTransport`` on libcurl: one reused easy handle, timeouts, TLS verification, and retries.
///
/// Threading: `curl_easy_perform` blocks, so it never runs on the Swift cooperative pool. Each transport
/// owns a private serial `DispatchQueue`; the easy handle lives on that queue only, and `send` waits for
/// it with a continuation. One transport therefore performs one request at a time; create one per
/// concurrent client. Backoff sleeps happen in the calling task (through the injectable `sleep`), not on
/// the queue.
///
/// Retries (see ``RetryPolicy``): connection failures, timeouts and broken connections, and statuses in
/// `retryableStatuses` (429/502/503/504, honouring `Retry-After`), plus any response the request's
/// `retryWhen` marks. Non-idempotent requests (POST, PATCH) are retried only when libcurl reports that
/// no byte of the request was sent, unless the request is marked idempotent. Other 4xx are never retried.
public final class CurlTransport: HTTPTransport {
    /// Connection, TLS and retry settings.
    public struct Configuration: Sendable {
        /// The longest time to establish a connection.
        public var connectTimeout: Duration
        /// The longest time for one whole attempt, connection included.
        public var timeout: Duration
        /// A PEM file of certificate authorities to trust, for example a private CA.
        ///
        /// It is libcurl's CA bundle for this transport. libcurl keeps its CA directory as well (on Debian and
        /// Ubuntu `/etc/ssl/certs`, which holds the system's authorities), so a server with a public certificate
        /// normally stays trusted too; on a build of libcurl without a CA directory the file is all it trusts.
        public var caFile: String?
        /// Turns off TLS certificate and host-name verification.
        ///
        /// Dangerous: anyone on the network path can read the token. Only for a test server with a self-signed
        /// certificate, and only when set explicitly.
        public var insecureSkipTLSVerify: Bool
        /// How to retry.
        public var retry: RetryPolicy
        /// The `User-Agent` header.
        public var userAgent: String
        /// Creates a configuration; the defaults are a 10 s connect timeout, a 60 s total timeout, TLS
        /// verification on, and the default ``RetryPolicy``.
        public init(
            connectTimeout: Duration = .seconds(10),
            timeout: Duration = .seconds(60),
            caFile: String? = nil,
            insecureSkipTLSVerify: Bool = false,
            retry: RetryPolicy = RetryPolicy(),
            userAgent: String = "tollgate"
        ) {
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.caFile = caFile
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
            self.retry = retry
            self.userAgent = userAgent
        }

        /// What a timeout means: the limits that expired, and what to check or raise.
        func timeoutHint() -> String {
            "no answer within the timeout of \(Self.seconds(self.timeout)) (connecting: "
                + "\(Self.seconds(self.connectTimeout))); check that the server is up and not overloaded and the "
                + "network in between, or raise the timeout"
        }

        /// A duration as people read it: `30 s`, or `1.5 s` when it is not whole seconds.
        private static func seconds(_ duration: Duration) -> String {
            let (whole, fraction) = duration.components
            if fraction == 0 { return "\(whole) s" }
            let value = Double(whole) + Double(fraction) / 1e18
            return "\((value * 1000).rounded() / 1000) s"
        }

        /// What to do about a certificate that was not trusted, in terms of this configuration's two settings.
        func untrustedCertificateHint() -> String {
            let fix =
                if let caFile {
                    "check that the CA file (\(caFile)) holds the certificate authority that signed the server's "
                        + "certificate and that the certificate names this host"
                } else {
                    "if the server uses a private certificate authority, trust a CA file (PEM) holding it"
                }
            return "\(fix); only for a test server, skipping TLS verification turns the check off"
        }
    }

    /// The settings this transport was created with.
    public let configuration: Configuration

    private let queue = DispatchQueue(label: "tollgate.curl-transport")
    private let confined: HandleOnQueue
    private let sleep: @Sendable (Duration) async throws -> Void
    private let jitter: @Sendable () -> Double
    private let attemptCounter = Mutex(0)

    /// Creates a transport.
    ///
    /// - Parameters:
    ///   - configuration: Timeouts, TLS and retry settings.
    ///   - sleep: Waits between attempts; tests pass a recorder that returns at once.
    ///   - jitter: A random draw in `0..<1` for the backoff; tests may fix it.
    public init(
        configuration: Configuration = Configuration(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.configuration = configuration
        self.confined = HandleOnQueue()
        self.sleep = sleep
        self.jitter = jitter
    }

    /// The number of HTTP attempts made so far (each retry counts), for benchmarks and tests.
    public var attemptCount: Int { self.attemptCounter.withLock { $0 } }

    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let policy = self.configuration.retry
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled {
                throw HTTPError(method: request.method, url: request.url, attempts: attempt - 1, reason: .cancelled)
            }
            let result = await self.performOnQueue(request)
            let delay: Duration
            switch result {
            case .success(var response):
                response.attempts = attempt
                guard attempt < policy.maxAttempts,
                    let wait = self.retryDelay(for: response, of: request, retry: attempt)
                else { return response }
                delay = wait
            case .failure(let error):
                let retryable = error.isTransient && (request.isIdempotent || !error.requestSent)
                guard attempt < policy.maxAttempts, retryable else {
                    let hint =
                        error.isCertificateRefusal
                        ? self.configuration.untrustedCertificateHint()
                        : error.kind == .timedOut ? self.configuration.timeoutHint() : nil
                    throw HTTPError(
                        method: request.method,
                        url: request.url,
                        attempts: attempt,
                        reason: .transport(error),
                        hint: hint
                    )
                }
                delay = policy.backoff(beforeRetry: attempt, jitter: self.jitter())
            }
            do {
                try await self.sleep(delay)
            } catch {
                throw HTTPError(method: request.method, url: request.url, attempts: attempt, reason: .cancelled)
            }
        }
    }

    /// The wait before retrying `response`, or `nil` when it must be returned as it is.
    private func retryDelay(for response: HTTPResponse, of request: HTTPRequest, retry: Int) -> Duration? {
        let policy = self.configuration.retry
        let markedByCaller = request.retryWhen?(response) ?? false
        let transientStatus = policy.retryableStatuses.contains(response.status) && request.isIdempotent
        guard markedByCaller || transientStatus else { return nil }
        let backoff = policy.backoff(beforeRetry: retry, jitter: self.jitter())
        guard let asked = response.retryAfter() else { return backoff }
        guard asked <= policy.maxRetryAfter else { return nil }
        return max(asked, .zero)
    }

    private func performOnQueue(_ request: HTTPRequest) async -> Result<HTTPResponse, CurlError> {
        self.attemptCounter.withLock { $0 += 1 }
        let settings = EasyHandle.Settings(
            connectTimeout: self.configuration.connectTimeout,
            timeout: self.configuration.timeout,
            caFile: self.configuration.caFile,
            insecureSkipTLSVerify: self.configuration.insecureSkipTLSVerify,
            userAgent: self.configuration.userAgent
        )
        let confined = self.confined
        return await withCheckedContinuation { continuation in
            self.queue.async {
                continuation.resume(returning: confined.perform(request, settings: settings))
            }
        }
    }
}

/// Holds the transport's easy handle, which is created lazily and used only on the transport's queue.
// SAFETY: `handle` is read and written only inside blocks running on CurlTransport's serial queue,
// so it is never touched by two threads at once.
private final class HandleOnQueue: @unchecked Sendable {
    private var handle: EasyHandle?

    func perform(_ request: HTTPRequest, settings: EasyHandle.Settings) -> Result<HTTPResponse, CurlError> {
        let easy: EasyHandle
        if let existing = self.handle {
            easy = existing
        } else {
            do {
                easy = try EasyHandle()
            } catch {
                return .failure(error)
            }
            self.handle = easy
        }
        return easy.perform(request, settings: settings)
    }
}
