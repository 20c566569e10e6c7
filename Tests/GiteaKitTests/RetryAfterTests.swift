import Foundation
import HTTPKit
import Testing
import TollgateTestSupport

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP date read against the `now` given.
@Suite(.runsProcesses)
struct RetryAfterTests {
    /// 2026-12-03 10:00:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_796_292_000)

    @Test(arguments: [
        ("3", Duration.seconds(3)),
        (" 0 ", .seconds(0)),
        ("-5", .seconds(0)),
        ("Thu, 03 Dec 2026 10:00:30 GMT", .seconds(30)),
        ("Thu, 03 Dec 2026 09:59:00 GMT", .seconds(0)),
    ])
    func readsSecondsOrADateAgainstNow(header: String, expected: Duration) async {
        let response = HTTPResponse(status: 503, headers: ["Retry-After": header])
        #expect(response.retryAfter(now: Self.now) == expected)
    }

    @Test(arguments: ["", "soon", "2026-12-03T10:00:30Z"])
    func anythingElseIsNoDelay(header: String) async {
        #expect(HTTPResponse(status: 503, headers: ["Retry-After": header]).retryAfter(now: Self.now) == nil)
        #expect(HTTPResponse(status: 503).retryAfter(now: Self.now) == nil)
    }
}
