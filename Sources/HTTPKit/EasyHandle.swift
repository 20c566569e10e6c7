internal import CCurlShim
import Foundation

/// One libcurl easy handle, reused for many requests so that connections and DNS results are kept.
///
/// Not thread-safe: confine it to one thread or serial queue (``CurlTransport`` does). Each request
/// starts with `curl_easy_reset`, which clears the options but keeps the connection cache.
final class EasyHandle {
    /// The settings applied to every request.
    struct Settings {
        var connectTimeout: Duration
        var timeout: Duration
        var caFile: String?
        var insecureSkipTLSVerify: Bool
        var userAgent: String
    }

    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Creates a handle, loading and initialising libcurl on first use.
    init() throws(CurlError) {
        let initCode = ccurl_global_init()
        if let reason = ccurl_load_error() {
            throw CurlError(
                code: Int(initCode.rawValue),
                message: "libcurl could not be loaded (\(String(cString: reason))); install it (on Debian, apt-get "
                    + "install libcurl4) and run the command again",
                requestSent: false
            )
        }
        guard initCode == CURLE_OK else {
            throw CurlError(code: Int(initCode.rawValue), message: Self.describe(initCode), requestSent: false)
        }
        guard let handle = ccurl_easy_init() else {
            throw CurlError(code: Int(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed", requestSent: false)
        }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        ccurl_easy_cleanup(self.handle)
        self.errorBuffer.deallocate()
    }

    /// Performs `request` and returns the response, or the libcurl error.
    func perform(_ request: HTTPRequest, settings: Settings) -> Result<HTTPResponse, CurlError> {
        ccurl_easy_reset(self.handle)
        self.errorBuffer[0] = 0
        let sink = ResponseSink()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { ccurl_slist_free_all(headerList) }
        do {
            try self.configure(request, settings: settings, sink: sink, headerList: &headerList)
        } catch {
            return .failure(error)
        }
        let code = withExtendedLifetime(sink) { ccurl_easy_perform(self.handle) }
        guard code == CURLE_OK else {
            return .failure(self.error(code, requestSent: self.requestBytesSent() > 0))
        }
        var status = 0
        ccurl_easy_getinfo_long(self.handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: HTTPHeaders(sink.headers), body: sink.body))
    }

    private func configure(
        _ request: HTTPRequest,
        settings: Settings,
        sink: ResponseSink,
        headerList: inout UnsafeMutablePointer<curl_slist>?
    ) throws(CurlError) {
        try self.set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(self.errorBuffer))
        try self.set(CURLOPT_URL, string: request.url.absoluteString)
        try self.set(CURLOPT_NOSIGNAL, long: 1)
        try self.set(CURLOPT_CONNECTTIMEOUT_MS, long: Self.milliseconds(settings.connectTimeout))
        try self.set(CURLOPT_TIMEOUT_MS, long: Self.milliseconds(settings.timeout))
        try self.set(CURLOPT_FOLLOWLOCATION, long: 0)
        try self.set(CURLOPT_FAILONERROR, long: 0)
        try self.set(CURLOPT_TCP_NODELAY, long: 1)
        try self.set(CURLOPT_ACCEPT_ENCODING, string: "")
        try self.set(CURLOPT_USERAGENT, string: settings.userAgent)
        if settings.insecureSkipTLSVerify {
            try self.set(CURLOPT_SSL_VERIFYPEER, long: 0)
            try self.set(CURLOPT_SSL_VERIFYHOST, long: 0)
        } else {
            try self.set(CURLOPT_SSL_VERIFYPEER, long: 1)
            try self.set(CURLOPT_SSL_VERIFYHOST, long: 2)
        }
        if let caFile = settings.caFile {
            try self.set(CURLOPT_CAINFO, string: caFile)
        }

        switch request.method {
        case .get where request.body == nil:
            try self.set(CURLOPT_HTTPGET, long: 1)
        case .head:
            try self.set(CURLOPT_NOBODY, long: 1)
        default:
            try self.set(CURLOPT_CUSTOMREQUEST, string: request.method.rawValue)
        }
        if let body = request.body {
            try self.setBody(body)
        } else if request.method == .post {
            try self.setBody(Data())
        }

        var headers = request.headers
        if headers["Expect"] == nil { headers.add(name: "Expect", value: "") }
        for field in headers {
            // "Name:" with an empty value removes a header curl would add; "Name;" sends it empty.
            let line = field.value.isEmpty ? "\(field.name):" : "\(field.name): \(field.value)"
            guard let appended = ccurl_slist_append(headerList, line) else {
                throw CurlError(
                    code: Int(CURLE_OUT_OF_MEMORY.rawValue),
                    message: "could not build the header list",
                    requestSent: false
                )
            }
            headerList = appended
        }
        try self.check(ccurl_easy_setopt_slist(self.handle, CURLOPT_HTTPHEADER, headerList))

        let userdata = Unmanaged.passUnretained(sink).toOpaque()
        try self.check(ccurl_easy_setopt_write_function(self.handle, writeCallback))
        try self.set(CURLOPT_WRITEDATA, pointer: userdata)
        try self.check(ccurl_easy_setopt_header_function(self.handle, headerCallback))
        try self.set(CURLOPT_HEADERDATA, pointer: userdata)
    }

    private func setBody(_ body: Data) throws(CurlError) {
        try self.check(ccurl_easy_setopt_off_t(self.handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
        // COPYPOSTFIELDS copies the bytes, so the buffer need not outlive this call.
        let code = body.withUnsafeBytes { raw -> CURLcode in
            let empty: CChar = 0
            return withUnsafePointer(to: empty) { emptyPointer in
                let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) ?? emptyPointer
                return ccurl_easy_setopt_pointer(
                    self.handle,
                    CURLOPT_COPYPOSTFIELDS,
                    UnsafeMutableRawPointer(mutating: base)
                )
            }
        }
        try self.check(code)
    }

    private func set(_ option: CURLoption, long value: Int) throws(CurlError) {
        try self.check(ccurl_easy_setopt_long(self.handle, option, value))
    }

    private func set(_ option: CURLoption, string value: String) throws(CurlError) {
        // libcurl copies string options, so the temporary C string may go away afterwards.
        try self.check(value.withCString { ccurl_easy_setopt_string(self.handle, option, $0) })
    }

    private func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer) throws(CurlError) {
        try self.check(ccurl_easy_setopt_pointer(self.handle, option, value))
    }

    private func check(_ code: CURLcode) throws(CurlError) {
        guard code == CURLE_OK else { throw self.error(code, requestSent: false) }
    }

    private func requestBytesSent() -> Int {
        var size = 0
        ccurl_easy_getinfo_long(self.handle, CURLINFO_REQUEST_SIZE, &size)
        return size
    }

    private func error(_ code: CURLcode, requestSent: Bool) -> CurlError {
        let detail = String(cString: self.errorBuffer)
        var message = Self.describe(code)
        if !detail.isEmpty && detail != message { message += ": " + detail }
        return CurlError(code: Int(code.rawValue), message: message, requestSent: requestSent)
    }

    private static func describe(_ code: CURLcode) -> String {
        guard let text = ccurl_easy_strerror(code) else { return "unknown libcurl error" }
        return String(cString: text)
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

@available(*, unavailable)
extension EasyHandle: Sendable {}

/// Collects one response's status-line-delimited headers and body from the libcurl callbacks.
private final class ResponseSink {
    var headers: [HTTPHeaders.Field] = []
    var body = Data()
}

/// Appends received body bytes to the sink; returning anything but the byte count aborts the transfer.
private let writeCallback: ccurl_data_callback = { pointer, size, count, userdata in
    let length = size * count
    guard let userdata, let pointer else { return length }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
    sink.body.append(UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: length)
    return length
}

/// Parses one header line (not NUL-terminated); a new status line starts a fresh header list.
private let headerCallback: ccurl_data_callback = { pointer, size, count, userdata in
    let length = size * count
    guard let userdata, let pointer else { return length }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
    let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        sink.headers.removeAll()
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        sink.headers.append(HTTPHeaders.Field(name: name, value: value))
    }
    return length
}
