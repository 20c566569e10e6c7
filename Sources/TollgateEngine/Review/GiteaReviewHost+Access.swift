import Foundation
import GiteaKit
import TollgateCore

/// Reviewers' access to the job's repository: Gitea hides a private repository from everyone the owner did not let
/// in, and refuses to ask such a user for a review (422 `Reviewer can't read`).
extension GiteaReviewHost {
    /// The least access that lets a reviewer do everything a review asks of them: read the pull request, give an
    /// official verdict, and push commits to its branch.
    static let reviewerLevel = AccessLevel.write

    /// Gives each of `logins` write access to the repository unless they have it already, before they are asked to
    /// review.
    ///
    /// Asks Gitea each user's access (from every source: collaboration, organisation teams, site admin), and adds
    /// those below write as collaborators with write. When the bot may not read other users' access (it is not an
    /// admin of the repository), nothing can be checked or granted: those logins are returned, and the review
    /// request decides.
    /// - Returns: the logins whose access could not be checked.
    /// - Throws: an ``EngineError`` naming the login and the missing right when Gitea refuses the grant, or when
    ///   Gitea does not know the login.
    func grantReviewAccess(to logins: [String], in ref: RepoRef) async throws -> [String] {
        let bot = try await bot()
        let client = try client()
        var unchecked: [String] = []
        for login in logins {
            let permission: CollaboratorPermission
            do {
                permission = try await client.collaboratorPermission(of: login, in: ref)
            } catch  where error.kind == .forbidden {
                unchecked.append(login)
                continue
            } catch  where error.kind == .notFound {
                throw EngineError.host(
                    "Gitea has no user \(login) (GET …/collaborators/\(login)/permission answered 404). "
                        + Self.reviewersAdvice(ref)
                )
            } catch {
                throw hostError(error, doing: "reading \(login)'s access to \(ref)")
            }
            guard permission.level < Self.reviewerLevel else { continue }
            let team = config[ConfigKeys.giteaReviewerTeam]
            if !team.isEmpty {
                try await addToReviewerTeam(login, level: permission.level, team: team, in: ref)
                continue
            }
            do {
                try await client.addCollaborator(login, level: Self.reviewerLevel, in: ref)
            } catch  where error.kind == .forbidden || error.kind == .validation {
                throw EngineError.host(
                    "\(bot) cannot give \(login) write access to \(ref) on Gitea (Gitea answered \(error.status ?? 0): "
                        + "\(error.message)). \(login) has \(permission.level.rawValue) access and needs write to "
                        + "review the pull request and push to its branch: make \(bot) an admin of \(ref) (the owner, "
                        + "or a member of an organisation team with admin access, with a token holding "
                        + "write:repository), or give \(login) write access on Gitea yourself, then run the command "
                        + "again."
                )
            } catch {
                throw hostError(error, doing: "giving \(login) write access to \(ref)")
            }
        }
        return unchecked
    }

    /// Gives `login` access to `ref` through the organisation team `name` (`gitea.reviewerTeam`): the team is looked
    /// up among the organisation's, must give write access or more, is given the repository unless it holds it (or
    /// all of them), and gets `login` as a member.
    ///
    /// - Throws: an ``EngineError`` naming the team when the owner is no organisation, the team does not exist or
    ///   gives too little, or the bot may not change it.
    func addToReviewerTeam(_ login: String, level: AccessLevel, team name: String, in ref: RepoRef) async throws {
        let bot = try await bot()
        let client = try client()
        let setting = "gitea.reviewerTeam is \(name)"
        let teams: [Team]
        do {
            teams = try await client.teams(of: ref.owner)
        } catch  where error.kind == .notFound {
            throw EngineError.host(
                "\(setting), but \(ref.owner) is not an organisation on Gitea (GET /orgs/\(ref.owner)/teams answered "
                    + "404): teams belong to organisations. Set gitea.reviewerTeam to \"\" to give reviewers access "
                    + "as collaborators, or set gitea.owner to the organisation."
            )
        } catch  where error.kind == .forbidden {
            throw EngineError.host(
                "\(setting), but \(bot) may not list the teams of \(ref.owner) (Gitea answered 403: \(error.message)): "
                    + "make \(bot) an owner of the organisation \(ref.owner), with a token holding write:organization."
            )
        } catch {
            throw hostError(error, doing: "listing the teams of \(ref.owner)")
        }
        guard let team = teams.first(where: { $0.name.lowercased() == name.lowercased() }) else {
            let known = teams.map(\.name).sorted()
            throw EngineError.host(
                "\(setting), but the organisation \(ref.owner) has no team \(name) (its teams: "
                    + "\(known.isEmpty ? "none" : known.joined(separator: ", "))): create the team on Gitea with write "
                    + "access, or set gitea.reviewerTeam to one of them "
                    + "(`tollgate config DIR --set gitea.reviewerTeam=NAME`)."
            )
        }
        guard team.permission >= Self.reviewerLevel else {
            throw EngineError.host(
                "\(setting), but the team \(team.name) of \(ref.owner) gives \(team.permission.rawValue) access, and "
                    + "reviewers need write to give official verdicts and push to the pull request's branch: give the "
                    + "team write access on Gitea, or name another team in gitea.reviewerTeam."
            )
        }
        do {
            if !team.includesAllRepositories, try await !client.teamHoldsRepository(team.name, ref) {
                try await client.addTeam(team.name, to: ref)
            }
        } catch  where error.kind == .forbidden || error.kind == .notAllowed || error.kind == .validation {
            throw EngineError.host(
                "\(bot) cannot give the team \(team.name) (gitea.reviewerTeam) access to \(ref) (Gitea answered "
                    + "\(error.status ?? 0): \(error.message)): make \(bot) an admin of \(ref), or add the repository to "
                    + "the team on Gitea yourself, then run the command again."
            )
        } catch {
            throw hostError(error, doing: "giving the team \(team.name) access to \(ref)")
        }
        do {
            try await client.addTeamMember(login, toTeam: team.id)
        } catch  where error.kind == .forbidden {
            throw EngineError.host(
                "\(bot) cannot add \(login) to the team \(team.name) of \(ref.owner) (gitea.reviewerTeam; Gitea "
                    + "answered 403: \(error.message)). \(login) has \(level.rawValue) access to \(ref) and needs write: "
                    + "make \(bot) an owner of \(ref.owner), or add \(login) to \(team.name) on Gitea yourself, then run "
                    + "the command again."
            )
        } catch  where error.kind == .notFound {
            throw EngineError.host(
                "Gitea has no user \(login) (PUT /teams/\(team.id)/members/\(login) answered 404). "
                    + Self.reviewersAdvice(ref)
            )
        } catch {
            throw hostError(error, doing: "adding \(login) to the team \(team.name) of \(ref.owner)")
        }
    }

    /// The message for a review request Gitea refused (404 an unknown login, 422 one who cannot be a reviewer).
    func reviewRequestRefusal(
        _ error: GiteaError,
        asking: [String],
        unchecked: [String],
        bot botName: String,
        in ref: RepoRef
    ) -> EngineError {
        let doing = "requesting reviews from \(asking.joined(separator: ", ")) on \(ref)"
        let answer = "Gitea answered \(error.status ?? 0): \(error.message)"
        if error.kind == .validation, error.message.hasPrefix("Reviewer can't read") {
            let who = unchecked.isEmpty ? asking : unchecked
            return EngineError.host(
                "\(doing) failed: \(answer). \(who.joined(separator: ", ")) cannot read \(ref), and \(botName) may "
                    + "not grant access because it is not an admin of the repository: give "
                    + "\(who.joined(separator: ", ")) write access to \(ref) on Gitea (or make \(botName) an admin of "
                    + "it), then run the command again."
            )
        }
        return EngineError.host("\(doing) failed: \(answer). " + Self.reviewersAdvice(ref))
    }

    /// What to check when a configured reviewer is not one Gitea accepts.
    static func reviewersAdvice(_ ref: RepoRef) -> String {
        "Check review.reviewers: each must be the login of a Gitea user other than the bot; Tollgate gives each "
            + "write access to \(ref) before asking them. Change them with "
            + "`tollgate config DIR --set review.reviewers=LOGIN,…`"
    }
}
