import Foundation
import GitKit
import TollgateCore

extension StateStore {
    /// Why `tip` of the state branch is not a job state, and the command that puts the last good one back (found
    /// in the branch's reflog): the branch was moved by something other than tollgate (`git reset`, an agent).
    static func damage(at tip: OID, in repository: Repository) -> String {
        let found = (try? repository.reflog(of: reference)) ?? []
        let good = found.first { commit in
            commit != tip && ((try? repository.fileContents("job.json", at: commit)) ?? nil) != nil
        }
        var text =
            "\(branch) points at \(tip.hex.prefix(10)), which is not a job state (it has no job.json): something "
            + "other than tollgate moved the branch."
        if let good {
            let directory = repository.workingDirectory?.path ?? repository.gitDirectory.path
            text +=
                " Its last state, from the reflog, is \(good.hex.prefix(10)); put it back with "
                + "`git -C \(ShellQuoting.quoted(directory)) update-ref refs/heads/\(branch) \(good.hex)` "
                + "and run the command again."
        } else {
            text += " No earlier state is in its reflog; a clone of the job (its Gitea repository) may still hold it."
        }
        return text
    }
}
