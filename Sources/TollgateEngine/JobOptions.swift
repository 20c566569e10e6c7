import Foundation
import TollgateCore

/// What `tollgate init` was asked for.
public struct JobOptions: Sendable, Equatable {
    public var expert: String?
    public var autonomy: String?
    public var agent: String?
    public var description: String
    public var review: String?
    /// `KEY=VALUE` assignments, in order.
    public var assignments: [String]

    public init(
        expert: String? = nil,
        autonomy: String? = nil,
        agent: String? = nil,
        description: String = "",
        review: String? = nil,
        assignments: [String] = []
    ) {
        self.expert = expert
        self.autonomy = autonomy
        self.agent = agent
        self.description = description
        self.review = review
        self.assignments = assignments
    }

    /// The job's own configuration layers: `--set` first, then the dedicated flags, which win.
    func overrideLayers() throws -> [ConfigLayer] {
        var layers: [ConfigLayer] = []
        if !assignments.isEmpty { layers.append(try ConfigLayer(assignments: assignments)) }
        if let autonomy { layers.append(try ConfigLayer(source: "--autonomy", key: "autonomy", text: autonomy)) }
        if let agent { layers.append(try ConfigLayer(source: "--agent", key: "agent.command", text: agent)) }
        if let review { layers.append(try ConfigLayer(source: "--review", key: "review.host", text: review)) }
        return layers
    }
}
