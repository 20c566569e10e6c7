/// A value made once, by the first test that asks for it, and shared by every test after (a reference job that each
/// fault point's run is compared with, say).
///
/// Its making may suspend (it runs the binary), so it cannot be a `static let` initialiser; a failure is shared too,
/// so every test that needs the value reports it.
public actor SharedResult<Value: Sendable> {
    private let make: @Sendable () async throws -> Value
    private var making: Task<Value, any Error>?

    public init(_ make: @escaping @Sendable () async throws -> Value) {
        self.make = make
    }

    /// The value, made on the first call.
    public func get() async throws -> Value {
        if let making { return try await making.value }
        let task = Task { try await make() }
        making = task
        return try await task.value
    }
}
