import Foundation

/// The meaning of protocol v1's tags: which tag may sit where, and which events a closed block yields.
///
/// The lexer in ``CritiqueParser`` finds tags and text; this grammar checks nesting and turns blocks
/// into ``CritiqueEvent``s. Warnings raised inside a block are held back until the block closes, so the
/// events a stream yields do not depend on where it was split.
///
/// States: between rounds (`round == nil`), inside a round (before and after its `<ROUND_END>`),
/// inside a `<PANELIST>`, `<ROUND_END>` or `<SHIP>` block, inside a text element.
struct CritiqueGrammarV1: Sendable {
    typealias Name = MarkupTag.Name

    // The look-ups below are switches on ``MarkupTag/Name``, a one-byte enum: no string is made or
    // compared for a tag the protocol knows.

    /// Whether the tag `name` is one of this version's; names outside it are an error where they appear.
    static func isKnown(_ name: Name) -> Bool {
        name != .other
    }

    /// Whether `name` is an element whose content is text; the value says whether CDATA may appear in it.
    static func textElement(_ name: Name) -> Bool? {
        switch name {
        case .notes, .artifact: true
        case .dim, .mustFix, .reason, .summary: false
        default: nil
        }
    }

    /// Whether `name` is a block the parser holds in memory until it closes (so its size is bounded).
    static func isBlock(_ name: Name) -> Bool {
        switch name {
        case .panelist, .roundEnd, .ship: true
        default: false
        }
    }

    /// Whether the container `parent` allows the child `name`.
    static func allows(_ name: Name, in parent: Name) -> Bool {
        switch (parent, name) {
        case (.critiqueRun, .round), (.critiqueRun, .ship): true
        case (.round, .panelist), (.round, .roundEnd): true
        case (.panelist, .notes), (.panelist, .dim), (.panelist, .mustFix), (.panelist, .artifact): true
        case (.roundEnd, .reason): true
        case (.ship, .artifact), (.ship, .summary): true
        default: false
        }
    }

    /// An open element: its name and the offset of its `<`.
    private struct OpenElement: Sendable {
        var name: Name
        var position: Int
    }

    private struct OpenRound: Sendable {
        var number: Int
        var ended = false
        var hasArtifact = false
        /// How many panelists raised must-fix items.
        var rolesWithMustFix = 0
        /// The round's first must-fix item.
        var firstMustFix: String?
        /// Whether some must-fix item differs from the first.
        var mustFixDiffer = false

        /// Counts a kept panelist's must-fix items.
        mutating func add(mustFix items: [String]) {
            guard !items.isEmpty else { return }
            self.rolesWithMustFix += 1
            for item in items where !self.mustFixDiffer {
                guard let first = self.firstMustFix else {
                    self.firstMustFix = item
                    continue
                }
                if item != first { self.mustFixDiffer = true }
            }
        }
    }

    private let roles: [PanelistRole]
    private let scale: Double
    private var stack: [OpenElement]
    private var lastRound = 0
    private var closedRounds = 0
    private var round: OpenRound?
    /// For each index in ``roles``, the first index whose role equals it as a string (a panel may list
    /// canonically equivalent spellings; `==` on strings, and so the panel check, treats them as one).
    private let firstEqualRole: [Int]
    /// The UTF-8 bytes of each of ``roles``, to compare with the stream's bytes.
    private let roleBytes: [[UInt8]]
    /// Which of ``roles`` (by index) already had a block in the open round.
    private var roleSeen: [Bool]
    private var panelist: CritiqueEvent.Panelist?
    private var panelistDropped: CritiqueWarning?
    /// Whether the open `<PANELIST>` carried an `<ARTIFACT>` (kept apart so the check copies nothing).
    private var panelistHasArtifact = false
    private var roundEnd: CritiqueEvent.RoundEnd?
    private var ship: CritiqueEvent.Ship?
    private var shipDropped: CritiqueWarning?
    /// Whether the open `<SHIP>` carried an `<ARTIFACT>`.
    private var shipHasArtifact = false
    private var shipSeen = false
    /// The open `<DIM>`'s name and score, read from its tag (a text element holds no other element).
    private var dimension: (name: String, score: Double?) = ("", nil)
    /// The open `<ARTIFACT>`'s `mime`.
    private var artifactMime = ""
    private var deferred: [CritiqueEvent] = []

    /// Starts a run whose `<CRITIQUE_RUN>` tag was at `position`.
    init(roles: [PanelistRole], scale: Double, runTag: MarkupTag) {
        self.roles = roles
        self.scale = scale
        self.firstEqualRole = roles.indices.map { index in roles.firstIndex(of: roles[index]) ?? index }
        self.roleBytes = roles.map { Array($0.rawValue.utf8) }
        self.roleSeen = Array(repeating: false, count: roles.count)
        self.stack = [OpenElement(name: runTag.name, position: runTag.position)]
    }

    /// The name of the innermost open element.
    var innermost: Name { self.stack.last?.name ?? .other }

    /// The name of the innermost open element, for messages.
    var innermostName: String { self.innermost.text }

    // MARK: - Open

    /// Handles an opening tag whose attribute values are in `bytes`, appending the events it yields to
    /// `events`.
    mutating func opened(
        _ tag: MarkupTag,
        bytes: [UInt8],
        into events: inout [CritiqueEvent]
    ) throws(CritiqueParseError) {
        let parent = self.innermost
        guard Self.allows(tag.name, in: parent) else {
            let what = Self.isKnown(tag.name) ? "<\(tag.nameText)> is not allowed" : "unknown tag <\(tag.nameText)>"
            throw CritiqueParseError(
                .malformedBlock,
                position: tag.position,
                detail: "\(what) inside <\(parent.text)>"
            )
        }
        self.stack.append(OpenElement(name: tag.name, position: tag.position))
        let values = MarkupAttributeValues(bytes: bytes)
        switch tag.name {
        case .round: self.openRound(tag.attributes, values, at: tag.position, into: &events)
        case .panelist: try self.openPanelist(tag.attributes, values, at: tag.position)
        case .roundEnd: try self.openRoundEnd(tag.attributes, values, at: tag.position)
        case .ship: self.openShip(tag.attributes, values, at: tag.position)
        case .dim:
            let name = values.string(tag.attributes.name) ?? ""
            let score = self.score(values, tag.attributes.score, of: "dimension", at: tag.position)
            self.dimension = (name, score)
        case .artifact:
            if (parent == .panelist && self.panelistHasArtifact) || (parent == .ship && self.shipHasArtifact) {
                throw CritiqueParseError(
                    .malformedBlock,
                    position: tag.position,
                    detail: "a second <ARTIFACT> inside <\(parent.text)>"
                )
            }
            self.artifactMime = values.string(tag.attributes.mime) ?? ""
        default: break
        }
    }

    private mutating func openRound(
        _ attributes: MarkupTag.Attributes,
        _ values: MarkupAttributeValues,
        at position: Int,
        into events: inout [CritiqueEvent]
    ) {
        let expected = self.lastRound + 1
        var number = expected
        if let given = values.integer(attributes.n), given > self.lastRound {
            number = given
        } else {
            let given = values.string(attributes.n).map { "n=\"\($0)\"" } ?? "no n"
            events.append(
                .warning(
                    CritiqueWarning(
                        .roundRenumbered,
                        position: position,
                        round: expected,
                        detail: "<ROUND> with \(given) after round \(self.lastRound); numbered \(expected)"
                    )
                )
            )
        }
        self.lastRound = number
        self.round = OpenRound(number: number)
        for index in self.roleSeen.indices where self.roleSeen[index] { self.roleSeen[index] = false }
        events.append(.roundStarted(round: number))
    }

    /// The index in ``roles`` of the role `span` names, or the role itself when it is not on the panel.
    private func role(_ values: MarkupAttributeValues, _ span: MarkupTag.Span) -> (index: Int?, role: PanelistRole) {
        // The closure captures the list, not `self`: capturing `self` would copy the whole grammar.
        let roleBytes = self.roleBytes
        if span.isPresent,
            let index = values.withBytes(
                span,
                { bytes -> Int? in
                    // A value with an entity is compared after decoding, below.
                    guard !bytes.contains(UInt8(ascii: "&")) else { return nil }
                    return roleBytes.firstIndex { role in role.withUnsafeBufferPointer { MarkupTag.equals($0, bytes) } }
                }
            )
        {
            // Same bytes make the same string; the first role equal to it as a string is the one used.
            return (self.firstEqualRole[index], self.roles[index])
        }
        let role = PanelistRole(rawValue: values.string(span) ?? "")
        return (self.roles.firstIndex(of: role), role)
    }

    private mutating func openPanelist(
        _ attributes: MarkupTag.Attributes,
        _ values: MarkupAttributeValues,
        at position: Int
    ) throws(CritiqueParseError) {
        // The round's fields are read one by one: binding the round would copy it.
        guard let number = self.round?.number, self.round?.ended == false else {
            throw CritiqueParseError(
                .malformedBlock,
                position: position,
                detail: "<PANELIST> after <ROUND_END> in the same round"
            )
        }
        let (index, role) = self.role(values, attributes.role)
        self.panelistDropped = nil
        if let index {
            if self.roleSeen[index] {
                self.panelistDropped = CritiqueWarning(
                    .duplicateRole,
                    position: position,
                    round: number,
                    detail: "role \"\(role)\" appeared twice; the later block was dropped"
                )
            } else {
                self.roleSeen[index] = true
            }
        } else {
            self.panelistDropped = CritiqueWarning(
                .unknownRole,
                position: position,
                round: number,
                detail: "role \"\(role)\" is not on the panel; block dropped"
            )
        }
        let score = self.score(values, attributes.score, of: role.rawValue, at: position)
        let declared = self.accept(
            values.count(attributes.mustFix),
            of: "must_fix of \(role)",
            as: "a count",
            at: position
        )
        self.panelist = CritiqueEvent.Panelist(round: number, role: role, score: score, declaredMustFix: declared)
        self.panelistHasArtifact = false
    }

    private mutating func openRoundEnd(
        _ attributes: MarkupTag.Attributes,
        _ values: MarkupAttributeValues,
        at position: Int
    ) throws(CritiqueParseError) {
        guard let round = self.round, !round.ended else {
            throw CritiqueParseError(.malformedBlock, position: position, detail: "a second <ROUND_END> in a round")
        }
        self.round?.ended = true
        // The number is read first: the raw string is made only for the warning.
        if attributes.n.isPresent, values.integer(attributes.n) != round.number, let raw = values.string(attributes.n) {
            self.deferred.append(
                .warning(
                    CritiqueWarning(
                        .roundRenumbered,
                        position: position,
                        round: round.number,
                        detail: "<ROUND_END n=\"\(raw)\"> closes round \(round.number)"
                    )
                )
            )
        }
        var decision = CritiqueDecision.continue
        if let known = values.decision(attributes.decision) {
            decision = known
        } else {
            let rawDecision = values.string(attributes.decision) ?? ""
            self.deferred.append(
                .warning(
                    CritiqueWarning(
                        .unknownDecision,
                        position: position,
                        round: round.number,
                        detail: "decision \"\(rawDecision)\" is not continue or ship; continue used"
                    )
                )
            )
        }
        self.roundEnd = CritiqueEvent.RoundEnd(
            round: round.number,
            composite: self.number(values, attributes.composite, of: "composite", at: position),
            mustFix: self.accept(
                values.count(attributes.mustFix),
                of: "must_fix of <ROUND_END>",
                as: "a count",
                at: position
            ),
            decision: decision
        )
    }

    private mutating func openShip(
        _ attributes: MarkupTag.Attributes,
        _ values: MarkupAttributeValues,
        at position: Int
    ) {
        self.shipDropped = nil
        if self.shipSeen {
            self.shipDropped = CritiqueWarning(
                .duplicateShip,
                position: position,
                detail: "a second <SHIP> was dropped; the first one wins"
            )
        }
        self.shipSeen = true
        self.shipHasArtifact = false
        self.ship = CritiqueEvent.Ship(
            round: values.integer(attributes.round),
            composite: self.number(values, attributes.composite, of: "composite of <SHIP>", at: position),
            status: values.string(attributes.status)
        )
    }

    // MARK: - Text

    /// Handles the close of a text element whose content was `value`.
    mutating func textClosed(_ name: Name, value: String, at position: Int) throws(CritiqueParseError) {
        guard let element = self.stack.popLast(), element.name == name else {
            preconditionFailure("Invalid state: the lexer closed <\(name.text)> that the grammar did not open")
        }
        switch name {
        case .notes:
            let notes = self.panelist?.notes.map { $0 + "\n" + value } ?? value
            self.panelist?.notes = notes
        case .dim:
            self.panelist?.dimensions.append(
                CritiqueEvent.Dimension(name: self.dimension.name, score: self.dimension.score, note: value)
            )
        case .mustFix:
            if !value.isEmpty { self.panelist?.mustFix.append(value) }
        case .artifact:
            let artifact = CritiqueEvent.Artifact(mime: self.artifactMime, text: value)
            if self.innermost == .ship {
                self.ship?.artifact = artifact
                self.shipHasArtifact = true
            } else {
                self.panelist?.artifact = artifact
                self.panelistHasArtifact = true
            }
        case .reason:
            self.roundEnd?.reason = value
        case .summary:
            self.ship?.summary = value
        default:
            preconditionFailure("Invalid state: <\(name.text)> is not a text element of protocol v1")
        }
    }

    // MARK: - Close

    /// Handles a closing tag of a container or block element, appending the events it yields to
    /// `events`; returns whether it closed the run.
    mutating func closed(_ tag: MarkupTag, into events: inout [CritiqueEvent]) throws(CritiqueParseError) -> Bool {
        guard let top = self.stack.last, top.name == tag.name else {
            throw CritiqueParseError(
                .malformedBlock,
                position: tag.position,
                detail: "</\(tag.nameText)> does not close the open <\(self.innermostName)>"
            )
        }
        self.stack.removeLast()
        switch tag.name {
        case .panelist:
            self.closePanelist(into: &events)
        case .roundEnd:
            guard let end = self.roundEnd.take() else {
                preconditionFailure("Invalid state: </ROUND_END> without a draft")
            }
            try self.closeRound(end, at: tag.position, into: &events)
        case .round:
            guard let round = self.round else { preconditionFailure("Invalid state: </ROUND> without a round") }
            if !round.ended {
                events.append(
                    .warning(
                        CritiqueWarning(
                            .missingRoundEnd,
                            position: tag.position,
                            round: round.number,
                            detail: "round \(round.number) closed without <ROUND_END>; decision continue"
                        )
                    )
                )
                try self.closeRound(CritiqueEvent.RoundEnd(round: round.number), at: tag.position, into: &events)
            }
            self.round = nil
        case .ship:
            self.closeShip(into: &events)
        case .critiqueRun:
            guard self.closedRounds > 0 else {
                throw CritiqueParseError(
                    .missingArtifact,
                    position: tag.position,
                    detail: "the run closed without a round or an artifact"
                )
            }
            events.append(.runFinished)
            return true
        default:
            preconditionFailure("Invalid state: </\(tag.nameText)> reached the grammar as a container")
        }
        return false
    }

    private mutating func closePanelist(into events: inout [CritiqueEvent]) {
        // Taken rather than copied, so that its strings and arrays are neither retained nor released.
        guard let panelist = self.panelist.take() else {
            preconditionFailure("Invalid state: </PANELIST> without a draft")
        }
        if let dropped = self.panelistDropped {
            // A dropped block's own warnings would only repeat the reason it was dropped.
            self.panelistDropped = nil
            self.deferred.removeAll(keepingCapacity: true)
            events.append(.warning(dropped))
            return
        }
        self.takeDeferred(into: &events)
        if panelist.artifact != nil { self.round?.hasArtifact = true }
        self.round?.add(mustFix: panelist.mustFix)
        events.append(.panelist(panelist))
    }

    private mutating func closeRound(
        _ end: CritiqueEvent.RoundEnd,
        at position: Int,
        into events: inout [CritiqueEvent]
    ) throws(CritiqueParseError) {
        guard let round = self.round else { preconditionFailure("Invalid state: a round closed outside a round") }
        if self.closedRounds == 0 && !round.hasArtifact {
            throw CritiqueParseError(
                .missingArtifact,
                position: position,
                detail: "round \(round.number) carried no <ARTIFACT>"
            )
        }
        self.closedRounds += 1
        self.takeDeferred(into: &events)
        if end.decision == .continue {
            if round.rolesWithMustFix < 2 || !round.mustFixDiffer {
                events.append(
                    .warning(
                        CritiqueWarning(
                            .weakDebate,
                            position: position,
                            round: round.number,
                            detail: "fewer than two panelists raised differing must-fix items"
                        )
                    )
                )
            }
        }
        events.append(.roundEnded(end))
    }

    private mutating func closeShip(into events: inout [CritiqueEvent]) {
        guard let ship = self.ship.take() else { preconditionFailure("Invalid state: </SHIP> without a draft") }
        if let dropped = self.shipDropped {
            self.shipDropped = nil
            self.deferred.removeAll(keepingCapacity: true)
            events.append(.warning(dropped))
        } else {
            self.takeDeferred(into: &events)
            events.append(.ship(ship))
        }
    }

    private mutating func takeDeferred(into events: inout [CritiqueEvent]) {
        guard !self.deferred.isEmpty else { return }
        events += self.deferred
        self.deferred.removeAll(keepingCapacity: true)
    }

    // MARK: - Attribute values

    /// Reads a score, clamping it to `0...scale`; warnings are held until the block closes.
    private mutating func score(
        _ values: MarkupAttributeValues,
        _ span: MarkupTag.Span,
        of what: @autoclosure () -> String,
        at position: Int
    ) -> Double? {
        guard let value = self.number(values, span, of: "score of \(what())", at: position) else { return nil }
        let clamped = min(max(value, 0), self.scale)
        if clamped != value {
            self.deferred.append(
                .warning(
                    CritiqueWarning(
                        .scoreClamped,
                        position: position,
                        round: self.round?.number,
                        detail: "score \(value) of \(what()) clamped to \(clamped)"
                    )
                )
            )
        }
        return clamped
    }

    /// The value of `reading`; an invalid value is ignored with a warning held until the block closes,
    /// which calls it `what` and says it is not a `kind` (a number, a count).
    private mutating func accept<Value>(
        _ reading: MarkupAttributeValues.Reading<Value>,
        of what: @autoclosure () -> String,
        as kind: String,
        at position: Int
    ) -> Value? {
        switch reading {
        case .absent:
            return nil
        case .value(let value):
            return value
        case .invalid(let raw):
            self.deferInvalidValue("\(what()) \"\(raw)\" is not \(kind); ignored", at: position)
            return nil
        }
    }

    private mutating func number(
        _ values: MarkupAttributeValues,
        _ span: MarkupTag.Span,
        of what: @autoclosure () -> String,
        at position: Int
    ) -> Double? {
        self.accept(values.number(span), of: what(), as: "a number", at: position)
    }

    /// Holds an ``CritiqueWarning/Kind/invalidScore`` warning until the block closes.
    private mutating func deferInvalidValue(_ detail: String, at position: Int) {
        self.deferred.append(
            .warning(CritiqueWarning(.invalidScore, position: position, round: self.round?.number, detail: detail))
        )
    }
}
