import GiteaKit
import Testing

/// Runs `body`, expects it to throw a `GiteaError` of `kind`, and returns the error for further checks.
@discardableResult
func expectGiteaError<T>(
    _ kind: GiteaError.Kind,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> GiteaError? {
    do {
        let value = try await body()
        Issue.record("expected a \(kind) error, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as GiteaError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a GiteaError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
