internal import CGit2
internal import CGitStart

/// A failed libgit2 operation: its return code, error class and message, and what GitKit was doing.
public struct GitError: Error, Sendable, CustomStringConvertible {
    /// libgit2's return code (`git_error_code`): -3 is "not found", -15 "modified".
    public let code: Int32
    /// libgit2's error class (`git_error_t`), 0 when libgit2 gave none.
    public let klass: Int32
    /// The library's message (or GitKit's own, for checks made here).
    public let message: String
    /// What was being done, such as "push to origin" or "checkout main".
    public let operation: String
    /// For a push the remote refused: each rejected reference and the remote's reason; empty otherwise.
    public let rejectedReferences: [String: String]

    /// Creates an error; GitKit fills these from libgit2, tests and fakes may build their own.
    public init(
        code: Int32,
        klass: Int32 = 0,
        message: String,
        operation: String,
        rejectedReferences: [String: String] = [:]
    ) {
        self.code = code
        self.klass = klass
        self.message = message
        self.operation = operation
        self.rejectedReferences = rejectedReferences
    }

    /// The object, reference or path does not exist.
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }

    /// A compare-and-swap was lost: the reference no longer has the expected value (or, expected absent, exists).
    public var isModified: Bool { code == GIT_EMODIFIED.rawValue }

    /// Local changes or merge conflicts prevented the operation, such as a safe checkout that would lose work.
    public var isConflict: Bool {
        code == GIT_ECONFLICT.rawValue || code == GIT_EMERGECONFLICT.rawValue
    }

    /// A push was refused: by the remote (see `rejectedReferences`) or, before sending, as a non-fast-forward.
    public var isRejected: Bool { !rejectedReferences.isEmpty || code == GIT_ENONFASTFORWARD.rawValue }

    /// Authentication failed (the credentials were refused, or none were given).
    public var isAuthenticationFailure: Bool { code == GIT_EAUTH.rawValue }

    /// An HTTPS remote's certificate was not trusted (see ``TransportSecurity``).
    public var isCertificateFailure: Bool { code == GIT_ECERTIFICATE.rawValue }

    /// A lock file (`<name>.lock`) was there: another git process is changing the same file, or one was killed
    /// while it did and left the lock behind.
    public var isLocked: Bool { code == GIT_ELOCKED.rawValue }

    public var description: String {
        var text = "git \(operation) failed: \(message)"
        guard isLocked else { return text }
        while text.hasSuffix(" ") || text.hasSuffix(":") { text.removeLast() }
        return text
            + "; another git process holds that lock, or one was killed while holding it: if no git command is "
            + "running in this repository, remove the .lock file and try again"
    }
}

// MARK: - Building errors from libgit2

extension GitError {
    /// Builds an error from a failing return code, reading libgit2's thread-local error at once.
    ///
    /// Call this immediately after the failing call: any other libgit2 call may replace the message.
    static func last(code: Int32, operation: String) -> GitError {
        guard let error = git_error_last(), let text = error.pointee.message else {
            // libgit2 1.5 may fail without setting an error (then `git_error_last` is NULL).
            return GitError(code: code, message: "libgit2 error \(code)", operation: operation)
        }
        var message = String(cString: text)
        while message.last?.isNewline == true { message.removeLast() }
        return GitError(code: code, klass: error.pointee.klass, message: message, operation: operation)
    }

    /// A copy with another code (and message), keeping the class and operation.
    func with(code: Int32, message: String? = nil) -> GitError {
        GitError(
            code: code,
            klass: klass,
            message: message ?? self.message,
            operation: operation,
            rejectedReferences: rejectedReferences
        )
    }
}

/// Checks a libgit2 return code: negative codes throw a `GitError` for `operation`, others are returned.
///
/// The message is read before anything else can run on this thread, so it belongs to this call.
@discardableResult
func git(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws(GitError) -> Int32 {
    _ = libgit2Initialized
    let code = call()
    guard code >= 0 else { throw GitError.last(code: code, operation: operation()) }
    return code
}

/// Initialises libgit2 once per process (it is reference counted; it is never shut down).
///
/// It also turns off libgit2's strict object creation, for the whole process: with it on, writing a tree looks up
/// every entry's object (a tree of 300 files, 300 pack look-ups), and writing a commit its tree and parents. GitKit
/// writes trees from the index, whose blobs were written as their files were added, and from objects it has just
/// written, so the look-ups never find anything missing; they were a fifth of a long job's commit.
///
/// The system's certificate authorities are not parsed here but before the first push or fetch
/// (``SystemCertificates``): most tollgate processes never talk to a remote, and the parse was a third of a
/// command's start.
let libgit2Initialized: Void = {
    _ = tollgate_libgit2_init()
    _ = tollgate_disable_strict_object_creation()
}()
