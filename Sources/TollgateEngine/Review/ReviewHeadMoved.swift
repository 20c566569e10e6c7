/// Thrown by ``ReviewHost/merge(_:title:message:head:)`` when the host refuses the merge because the branch moved
/// after the approval: the approval does not cover the new head, so nothing merges and the review is asked again.
public struct ReviewHeadMoved: Error, Sendable, Equatable, CustomStringConvertible {
    /// The head that was approved and sent with the merge.
    public var approved: String
    /// The branch's head on the host now (after the engine fetched it).
    public var head: String

    public init(approved: String, head: String) {
        self.approved = approved
        self.head = head
    }

    public var description: String {
        "the branch moved from the approved \(approved.prefix(10)) to \(head.prefix(10)) before the merge"
    }
}
