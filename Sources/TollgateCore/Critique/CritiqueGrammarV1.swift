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
    /// Every tag name of the protocol.
    static let knownTags: [String] = [
        "CRITIQUE_RUN", "ROUND", "PANELIST", "NOTES", "DIM", "MUST_FIX", "ARTIFACT", "ROUND_END", "REASON", "SHIP",
        "SUMMARY",
    ]

    // The look-ups below are switches rather than sets: tag names are small strings, which compare
    // faster than they hash, and these run once per tag.

    /// Whether `name` is an element whose content is text; the value says whether CDATA may appear in it.
    static func textElement(_ name: String) -> Bool? {
        switch name {
        case "NOTES", "ARTIFACT": true
        case "DIM", "MUST_FIX", "REASON", "SUMMARY": false
        default: nil
        }
    }

    /// Whether `name` is a block the parser holds in memory until it closes (so its size is bounded).
    static func isBlock(_ name: String) -> Bool {
        switch name {
        case "PANELIST", "ROUND_END", "SHIP": true
        default: false
        }
    }

    /// Whether the container `parent` allows the child `name`.
    static func allows(_ name: String, in parent: String) -> Bool {
        switch (parent, name) {
        case ("CRITIQUE_RUN", "ROUND"), ("CRITIQUE_RUN", "SHIP"): true
        case ("ROUND", "PANELIST"), ("ROUND", "ROUND_END"): true
        case ("PANELIST", "NOTES"), ("PANELIST", "DIM"), ("PANELIST", "MUST_FIX"), ("PANELIST", "ARTIFACT"): true
        case ("ROUND_END", "REASON"): true
        case ("SHIP", "ARTIFACT"), ("SHIP", "SUMMARY"): true
        default: false
        }
    }

    private struct OpenElement: Sendable {
        var name: String
        var attributes: MarkupTag.Attributes
        var position: Int
    }

    private struct OpenRound: Sendable {
        var number: Int
        var ended = false
        var hasArtifact = false
        var roles: Set<PanelistRole> = []
        var mustFixByRole: [PanelistRole: [String]] = [:]
    }

    private let roles: Set<PanelistRole>
    private let scale: Double
    private var stack: [OpenElement]
    private var lastRound = 0
    private var closedRounds = 0
    private var round: OpenRound?
    private var panelist: CritiqueEvent.Panelist?
    private var panelistDropped: CritiqueWarning?
    private var roundEnd: CritiqueEvent.RoundEnd?
    private var ship: CritiqueEvent.Ship?
    private var shipDropped: CritiqueWarning?
    private var shipSeen = false
    private var deferred: [CritiqueEvent] = []

    /// Starts a run whose `<CRITIQUE_RUN>` tag was at `position`.
    init(roles: [PanelistRole], scale: Double, runTag: MarkupTag) {
        self.roles = Set(roles)
        self.scale = scale
        self.stack = [OpenElement(name: runTag.name, attributes: runTag.attributes, position: runTag.position)]
    }

    /// Whether the innermost open element is a block (so its bytes count against the block limit).
    var innermostName: String { self.stack.last?.name ?? "" }

    // MARK: - Open

    /// Handles an opening tag.
    mutating func opened(_ tag: MarkupTag) throws(CritiqueParseError) -> [CritiqueEvent] {
        let parent = self.innermostName
        guard Self.knownTags.contains(tag.name) else {
            throw CritiqueParseError(
                .malformedBlock, position: tag.position, detail: "unknown tag <\(tag.name)> inside <\(parent)>")
        }
        guard Self.allows(tag.name, in: parent) else {
            throw CritiqueParseError(
                .malformedBlock, position: tag.position, detail: "<\(tag.name)> is not allowed inside <\(parent)>")
        }
        self.stack.append(OpenElement(name: tag.name, attributes: tag.attributes, position: tag.position))
        switch tag.name {
        case "ROUND": return self.openRound(tag)
        case "PANELIST": try self.openPanelist(tag)
        case "ROUND_END": try self.openRoundEnd(tag)
        case "SHIP": self.openShip(tag)
        case "ARTIFACT":
            if (parent == "PANELIST" && self.panelist?.artifact != nil) || (parent == "SHIP" && self.ship?.artifact != nil)
            {
                throw CritiqueParseError(
                    .malformedBlock, position: tag.position, detail: "a second <ARTIFACT> inside <\(parent)>")
            }
        default: break
        }
        return []
    }

    private mutating func openRound(_ tag: MarkupTag) -> [CritiqueEvent] {
        var events: [CritiqueEvent] = []
        let expected = self.lastRound + 1
        var number = expected
        if let raw = tag.attributes["n"], let given = Int(raw), given > self.lastRound {
            number = given
        } else {
            let given = tag.attributes["n"].map { "n=\"\($0)\"" } ?? "no n"
            events.append(
                .warning(
                    CritiqueWarning(
                        .roundRenumbered, position: tag.position, round: expected,
                        detail: "<ROUND> with \(given) after round \(self.lastRound); numbered \(expected)")))
        }
        self.lastRound = number
        self.round = OpenRound(number: number)
        events.append(.roundStarted(round: number))
        return events
    }

    private mutating func openPanelist(_ tag: MarkupTag) throws(CritiqueParseError) {
        guard var round = self.round, !round.ended else {
            throw CritiqueParseError(
                .malformedBlock, position: tag.position, detail: "<PANELIST> after <ROUND_END> in the same round")
        }
        let role = PanelistRole(rawValue: tag.attributes["role"] ?? "")
        self.panelistDropped = nil
        if !self.roles.contains(role) {
            self.panelistDropped = CritiqueWarning(
                .unknownRole, position: tag.position, round: round.number,
                detail: "role \"\(role)\" is not on the panel; block dropped")
        } else if round.roles.contains(role) {
            self.panelistDropped = CritiqueWarning(
                .duplicateRole, position: tag.position, round: round.number,
                detail: "role \"\(role)\" appeared twice; the later block was dropped")
        } else {
            round.roles.insert(role)
            self.round = round
        }
        let score = self.score(tag.attributes["score"], of: "\(role)", at: tag.position)
        let declared = self.count(tag.attributes["must_fix"], of: "must_fix of \(role)", at: tag.position)
        self.panelist = CritiqueEvent.Panelist(round: round.number, role: role, score: score, declaredMustFix: declared)
    }

    private mutating func openRoundEnd(_ tag: MarkupTag) throws(CritiqueParseError) {
        guard var round = self.round, !round.ended else {
            throw CritiqueParseError(.malformedBlock, position: tag.position, detail: "a second <ROUND_END> in a round")
        }
        round.ended = true
        self.round = round
        if let raw = tag.attributes["n"], Int(raw) != round.number {
            self.deferred.append(
                .warning(
                    CritiqueWarning(
                        .roundRenumbered, position: tag.position, round: round.number,
                        detail: "<ROUND_END n=\"\(raw)\"> closes round \(round.number)")))
        }
        var decision = CritiqueDecision.continue
        let rawDecision = tag.attributes["decision"] ?? ""
        if let known = CritiqueDecision(rawValue: rawDecision) {
            decision = known
        } else {
            self.deferred.append(
                .warning(
                    CritiqueWarning(
                        .unknownDecision, position: tag.position, round: round.number,
                        detail: "decision \"\(rawDecision)\" is not continue or ship; continue used")))
        }
        self.roundEnd = CritiqueEvent.RoundEnd(
            round: round.number,
            composite: self.number(tag.attributes["composite"], of: "composite", at: tag.position),
            mustFix: self.count(tag.attributes["must_fix"], of: "must_fix of <ROUND_END>", at: tag.position),
            decision: decision)
    }

    private mutating func openShip(_ tag: MarkupTag) {
        self.shipDropped = nil
        if self.shipSeen {
            self.shipDropped = CritiqueWarning(
                .duplicateShip, position: tag.position, detail: "a second <SHIP> was dropped; the first one wins")
        }
        self.shipSeen = true
        self.ship = CritiqueEvent.Ship(
            round: tag.attributes["round"].flatMap { Int($0) },
            composite: self.number(tag.attributes["composite"], of: "composite of <SHIP>", at: tag.position),
            status: tag.attributes["status"])
    }

    // MARK: - Text

    /// Handles the close of a text element whose content was `value`.
    mutating func textClosed(_ name: String, value: String, at position: Int) throws(CritiqueParseError) {
        guard let element = self.stack.popLast(), element.name == name else {
            preconditionFailure("Invalid state: the lexer closed <\(name)> that the grammar did not open")
        }
        let parent = self.innermostName
        switch name {
        case "NOTES":
            let notes = self.panelist?.notes.map { $0 + "\n" + value } ?? value
            self.panelist?.notes = notes
        case "DIM":
            let score = self.score(element.attributes["score"], of: "dimension", at: element.position)
            self.panelist?.dimensions.append(
                CritiqueEvent.Dimension(name: element.attributes["name"] ?? "", score: score, note: value))
        case "MUST_FIX":
            if !value.isEmpty { self.panelist?.mustFix.append(value) }
        case "ARTIFACT":
            let artifact = CritiqueEvent.Artifact(mime: element.attributes["mime"] ?? "", text: value)
            if parent == "SHIP" { self.ship?.artifact = artifact } else { self.panelist?.artifact = artifact }
        case "REASON":
            self.roundEnd?.reason = value
        case "SUMMARY":
            self.ship?.summary = value
        default:
            preconditionFailure("Invalid state: <\(name)> is not a text element of protocol v1")
        }
    }

    // MARK: - Close

    /// Handles a closing tag of a container or block element.
    mutating func closed(_ tag: MarkupTag) throws(CritiqueParseError) -> (events: [CritiqueEvent], runEnded: Bool) {
        guard let top = self.stack.last, top.name == tag.name else {
            throw CritiqueParseError(
                .malformedBlock, position: tag.position,
                detail: "</\(tag.name)> does not close the open <\(self.innermostName)>")
        }
        self.stack.removeLast()
        switch tag.name {
        case "PANELIST":
            return (self.closePanelist(), false)
        case "ROUND_END":
            guard let end = self.roundEnd else { preconditionFailure("Invalid state: </ROUND_END> without a draft") }
            self.roundEnd = nil
            return (try self.closeRound(end, at: tag.position), false)
        case "ROUND":
            guard let round = self.round else { preconditionFailure("Invalid state: </ROUND> without a round") }
            var events: [CritiqueEvent] = []
            if !round.ended {
                events.append(
                    .warning(
                        CritiqueWarning(
                            .missingRoundEnd, position: tag.position, round: round.number,
                            detail: "round \(round.number) closed without <ROUND_END>; decision continue")))
                events += try self.closeRound(CritiqueEvent.RoundEnd(round: round.number), at: tag.position)
            }
            self.round = nil
            return (events, false)
        case "SHIP":
            return (self.closeShip(), false)
        case "CRITIQUE_RUN":
            guard self.closedRounds > 0 else {
                throw CritiqueParseError(
                    .missingArtifact, position: tag.position, detail: "the run closed without a round or an artifact")
            }
            return ([.runFinished], true)
        default:
            preconditionFailure("Invalid state: </\(tag.name)> reached the grammar as a container")
        }
    }

    private mutating func closePanelist() -> [CritiqueEvent] {
        var events = self.takeDeferred()
        guard let panelist = self.panelist else { preconditionFailure("Invalid state: </PANELIST> without a draft") }
        self.panelist = nil
        if let dropped = self.panelistDropped {
            // A dropped block's own warnings would only repeat the reason it was dropped.
            self.panelistDropped = nil
            return [.warning(dropped)]
        }
        if panelist.artifact != nil { self.round?.hasArtifact = true }
        if !panelist.mustFix.isEmpty { self.round?.mustFixByRole[panelist.role] = panelist.mustFix }
        events.append(.panelist(panelist))
        return events
    }

    private mutating func closeRound(_ end: CritiqueEvent.RoundEnd, at position: Int) throws(CritiqueParseError)
        -> [CritiqueEvent]
    {
        guard let round = self.round else { preconditionFailure("Invalid state: a round closed outside a round") }
        if self.closedRounds == 0 && !round.hasArtifact {
            throw CritiqueParseError(
                .missingArtifact, position: position, detail: "round \(round.number) carried no <ARTIFACT>")
        }
        self.closedRounds += 1
        var events = self.takeDeferred()
        if end.decision == .continue {
            let distinctTexts = Set(round.mustFixByRole.values.joined())
            if round.mustFixByRole.count < 2 || distinctTexts.count < 2 {
                events.append(
                    .warning(
                        CritiqueWarning(
                            .weakDebate, position: position, round: round.number,
                            detail: "fewer than two panelists raised differing must-fix items")))
            }
        }
        events.append(.roundEnded(end))
        return events
    }

    private mutating func closeShip() -> [CritiqueEvent] {
        var events = self.takeDeferred()
        guard let ship = self.ship else { preconditionFailure("Invalid state: </SHIP> without a draft") }
        self.ship = nil
        if let dropped = self.shipDropped {
            self.shipDropped = nil
            events = [.warning(dropped)]
        } else {
            events.append(.ship(ship))
        }
        return events
    }

    private mutating func takeDeferred() -> [CritiqueEvent] {
        defer { self.deferred.removeAll() }
        return self.deferred
    }

    // MARK: - Attribute values

    /// Reads a score, clamping it to `0...scale`; warnings are held until the block closes.
    private mutating func score(_ raw: String?, of what: String, at position: Int) -> Double? {
        guard let value = self.number(raw, of: "score of \(what)", at: position) else { return nil }
        let clamped = min(max(value, 0), self.scale)
        if clamped != value {
            self.deferred.append(
                .warning(
                    CritiqueWarning(
                        .scoreClamped, position: position, round: self.round?.number,
                        detail: "score \(value) of \(what) clamped to \(clamped)")))
        }
        return clamped
    }

    private mutating func number(_ raw: String?, of what: String, at position: Int) -> Double? {
        guard let raw else { return nil }
        guard let value = Double(raw) ?? Double(raw.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            self.deferred.append(
                .warning(
                    CritiqueWarning(
                        .invalidScore, position: position, round: self.round?.number,
                        detail: "\(what) \"\(raw)\" is not a number; ignored")))
            return nil
        }
        return value
    }

    private mutating func count(_ raw: String?, of what: String, at position: Int) -> Int? {
        guard let raw else { return nil }
        guard let value = Int(raw) ?? Int(raw.trimmingCharacters(in: .whitespaces)), value >= 0 else {
            self.deferred.append(
                .warning(
                    CritiqueWarning(
                        .invalidScore, position: position, round: self.round?.number,
                        detail: "\(what) \"\(raw)\" is not a count; ignored")))
            return nil
        }
        return value
    }
}
