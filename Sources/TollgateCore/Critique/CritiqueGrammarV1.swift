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

    // Roles are few, so the lists below are searched in order rather than hashed.

    private struct OpenRound: Sendable {
        var number: Int
        var ended = false
        var hasArtifact = false
        var roles: [PanelistRole] = []
        /// The must-fix items of each panelist that raised any, in stream order.
        var mustFixByRole: [[String]] = []
    }

    private let roles: [PanelistRole]
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
        self.roles = roles
        self.scale = scale
        self.stack = [OpenElement(name: runTag.name, attributes: runTag.attributes, position: runTag.position)]
    }

    /// Whether the innermost open element is a block (so its bytes count against the block limit).
    var innermostName: String { self.stack.last?.name ?? "" }

    // MARK: - Open

    /// Handles an opening tag, appending the events it yields to `events`.
    mutating func opened(_ tag: MarkupTag, into events: inout [CritiqueEvent]) throws(CritiqueParseError) {
        let parent = self.innermostName
        guard Self.allows(tag.name, in: parent) else {
            let what = Self.knownTags.contains(tag.name) ? "<\(tag.name)> is not allowed" : "unknown tag <\(tag.name)>"
            throw CritiqueParseError(.malformedBlock, position: tag.position, detail: "\(what) inside <\(parent)>")
        }
        self.stack.append(OpenElement(name: tag.name, attributes: tag.attributes, position: tag.position))
        switch tag.name {
        case "ROUND": self.openRound(tag, into: &events)
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
    }

    private mutating func openRound(_ tag: MarkupTag, into events: inout [CritiqueEvent]) {
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
    }

    private mutating func openPanelist(_ tag: MarkupTag) throws(CritiqueParseError) {
        guard let round = self.round, !round.ended else {
            throw CritiqueParseError(
                .malformedBlock, position: tag.position, detail: "<PANELIST> after <ROUND_END> in the same round")
        }
        // Read what is needed from the round first: the role list is then appended to in place
        // (`self.round?`), without a second reference to it that would make the append copy it.
        let role = PanelistRole(rawValue: tag.attributes["role"] ?? "")
        let number = round.number
        let seen = round.roles.contains(role)
        self.panelistDropped = nil
        if !self.roles.contains(role) {
            self.panelistDropped = CritiqueWarning(
                .unknownRole,
                position: tag.position,
                round: number,
                detail: "role \"\(role)\" is not on the panel; block dropped")
        } else if seen {
            self.panelistDropped = CritiqueWarning(
                .duplicateRole,
                position: tag.position,
                round: number,
                detail: "role \"\(role)\" appeared twice; the later block was dropped")
        } else {
            self.round?.roles.append(role)
        }
        let score = self.score(tag.attributes["score"], of: role.rawValue, at: tag.position)
        let declared = self.count(tag.attributes["must_fix"], of: "must_fix of \(role)", at: tag.position)
        self.panelist = CritiqueEvent.Panelist(round: number, role: role, score: score, declaredMustFix: declared)
    }

    private mutating func openRoundEnd(_ tag: MarkupTag) throws(CritiqueParseError) {
        guard let round = self.round, !round.ended else {
            throw CritiqueParseError(.malformedBlock, position: tag.position, detail: "a second <ROUND_END> in a round")
        }
        self.round?.ended = true
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

    /// Handles a closing tag of a container or block element, appending the events it yields to
    /// `events`; returns whether it closed the run.
    mutating func closed(_ tag: MarkupTag, into events: inout [CritiqueEvent]) throws(CritiqueParseError) -> Bool {
        guard let top = self.stack.last, top.name == tag.name else {
            throw CritiqueParseError(
                .malformedBlock, position: tag.position,
                detail: "</\(tag.name)> does not close the open <\(self.innermostName)>")
        }
        self.stack.removeLast()
        switch tag.name {
        case "PANELIST":
            self.closePanelist(into: &events)
        case "ROUND_END":
            guard let end = self.roundEnd else { preconditionFailure("Invalid state: </ROUND_END> without a draft") }
            self.roundEnd = nil
            try self.closeRound(end, at: tag.position, into: &events)
        case "ROUND":
            guard let round = self.round else { preconditionFailure("Invalid state: </ROUND> without a round") }
            if !round.ended {
                events.append(
                    .warning(
                        CritiqueWarning(
                            .missingRoundEnd, position: tag.position, round: round.number,
                            detail: "round \(round.number) closed without <ROUND_END>; decision continue")))
                try self.closeRound(CritiqueEvent.RoundEnd(round: round.number), at: tag.position, into: &events)
            }
            self.round = nil
        case "SHIP":
            self.closeShip(into: &events)
        case "CRITIQUE_RUN":
            guard self.closedRounds > 0 else {
                throw CritiqueParseError(
                    .missingArtifact, position: tag.position, detail: "the run closed without a round or an artifact")
            }
            events.append(.runFinished)
            return true
        default:
            preconditionFailure("Invalid state: </\(tag.name)> reached the grammar as a container")
        }
        return false
    }

    private mutating func closePanelist(into events: inout [CritiqueEvent]) {
        guard let panelist = self.panelist else { preconditionFailure("Invalid state: </PANELIST> without a draft") }
        self.panelist = nil
        if let dropped = self.panelistDropped {
            // A dropped block's own warnings would only repeat the reason it was dropped.
            self.panelistDropped = nil
            self.deferred.removeAll(keepingCapacity: true)
            events.append(.warning(dropped))
            return
        }
        self.takeDeferred(into: &events)
        if panelist.artifact != nil { self.round?.hasArtifact = true }
        if !panelist.mustFix.isEmpty { self.round?.mustFixByRole.append(panelist.mustFix) }
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
                .missingArtifact, position: position, detail: "round \(round.number) carried no <ARTIFACT>")
        }
        self.closedRounds += 1
        self.takeDeferred(into: &events)
        if end.decision == .continue {
            if round.mustFixByRole.count < 2 || !Self.hasTwoDistinct(round.mustFixByRole.joined()) {
                events.append(
                    .warning(
                        CritiqueWarning(
                            .weakDebate, position: position, round: round.number,
                            detail: "fewer than two panelists raised differing must-fix items")))
            }
        }
        events.append(.roundEnded(end))
    }

    /// Whether `items` holds at least two different strings.
    private static func hasTwoDistinct(_ items: some Sequence<String>) -> Bool {
        var first: String?
        for item in items {
            guard let seen = first else {
                first = item
                continue
            }
            if item != seen { return true }
        }
        return false
    }

    private mutating func closeShip(into events: inout [CritiqueEvent]) {
        guard let ship = self.ship else { preconditionFailure("Invalid state: </SHIP> without a draft") }
        self.ship = nil
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
    private mutating func score(_ raw: String?, of what: @autoclosure () -> String, at position: Int) -> Double? {
        guard let value = self.number(raw, of: "score of \(what())", at: position) else { return nil }
        let clamped = min(max(value, 0), self.scale)
        if clamped != value {
            self.deferred.append(
                .warning(
                    CritiqueWarning(
                        .scoreClamped, position: position, round: self.round?.number,
                        detail: "score \(value) of \(what()) clamped to \(clamped)")))
        }
        return clamped
    }

    private mutating func number(_ raw: String?, of what: @autoclosure () -> String, at position: Int) -> Double? {
        guard let raw else { return nil }
        guard let value = Self.plainDecimal(raw) ?? Double(raw) ?? Double(raw.trimmingCharacters(in: .whitespaces)),
            value.isFinite
        else {
            self.deferred.append(
                .warning(
                    CritiqueWarning(
                        .invalidScore, position: position, round: self.round?.number,
                        detail: "\(what()) \"\(raw)\" is not a number; ignored")))
            return nil
        }
        return value
    }

    /// Powers of ten that a `Double` holds exactly.
    private static let exactPowersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    /// The value of a plain decimal such as `7.25` or `-2`, without the general number parser; `nil`
    /// for anything else (signs other than `-`, exponents, spaces, more than 15 digits), which
    /// `Double(_:)` then reads.
    ///
    /// The result is the same as `Double(_:)`'s: the digits, read as an integer, and the power of ten
    /// are both exact in a `Double`, and one IEEE division of exact values is correctly rounded.
    static func plainDecimal(_ raw: String) -> Double? {
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var negative = false
        var seenPoint = false
        for (index, byte) in raw.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "-") where index == 0:
                negative = true
            case UInt8(ascii: "."):
                guard !seenPoint, digits > 0 else { return nil }
                seenPoint = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
                if seenPoint { fractionDigits += 1 }
                guard digits <= 15 else { return nil }
                mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
            default:
                return nil
            }
        }
        guard digits > 0, !(seenPoint && fractionDigits == 0) else { return nil }
        let magnitude = Double(mantissa) / Self.exactPowersOfTen[fractionDigits]
        return negative ? -magnitude : magnitude
    }

    private mutating func count(_ raw: String?, of what: @autoclosure () -> String, at position: Int) -> Int? {
        guard let raw else { return nil }
        guard let value = Int(raw) ?? Int(raw.trimmingCharacters(in: .whitespaces)), value >= 0 else {
            self.deferred.append(
                .warning(
                    CritiqueWarning(
                        .invalidScore, position: position, round: self.round?.number,
                        detail: "\(what()) \"\(raw)\" is not a count; ignored")))
            return nil
        }
        return value
    }
}
