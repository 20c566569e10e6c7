import Foundation
import TollgateCore

/// `result.json`: the phase's ``PhaseCritique`` (what the engine reads back: status, composites, tokens, latency),
/// with each artifact's figures and, for a single artifact, its loop beside it.
struct CritiqueResultDocument: Encodable {
    /// One artifact's part of the result.
    struct Artifact: Encodable {
        var path: String
        var status: String
        var composite: Double?
        var openMustFix: Int
        /// The panel's must-fix items of the round kept, as the critic wrote them (what reviewers are shown inline).
        var mustFix: [CritiqueFindings.Item]
        var lint: [ArtifactLint.Finding]
        var loop: RevisionLoopSummary
        var report: String
    }

    var result: PhaseCritique
    var artifacts: [Artifact]
    /// The loop of the only artifact, or of none; several artifacts each carry their own.
    var loop: RevisionLoopSummary?

    init(result: PhaseCritique, artifacts: [Artifact], loop: RevisionLoopSummary? = nil) {
        self.result = result
        self.artifacts = artifacts
        self.loop = loop ?? (artifacts.count == 1 ? artifacts.first?.loop : nil)
    }

    private enum Keys: String, CodingKey { case artifacts, loop, endComposite }

    func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(artifacts, forKey: .artifacts)
        try container.encodeIfPresent(loop, forKey: .loop)
        try container.encodeIfPresent(loop?.endComposite, forKey: .endComposite)
    }
}
