#!/usr/bin/env python3
"""A Gitea-compatible server for Tollgate's tests (Python 3 standard library only).

It binds 127.0.0.1 on an ephemeral port and, when ready, prints one JSON line on stdout:
``{"port": N, "root": "...", "users": {"login": "token", ...}, "pid": P}``. The tests start it through
``zygote.py`` (a fork of one process that has loaded it); run on its own it behaves the same.

What it serves:

* Git smart HTTP for ``/{owner}/{repo}.git/...`` through ``git http-backend`` (CGI), with Basic
  auth where the password (or the user name) is an API token, chunked request bodies included.
  Pushing needs a token with ``write:repository`` and write access; reading a public repository needs no token.
* The REST subset of Gitea's ``/api/v1`` that Tollgate uses, emulating Gitea 1.26 by default
  (``--version``): status codes, error bodies, pagination, token scopes, review semantics
  (REQUEST_REVIEW rows, ``official``, ``stale`` after a push, dismissals, no self-approval),
  squash and merge commits made with real git in the bare repository, and branch deletion.
* Control operations for tests, both as ``/_test/...`` HTTP endpoints and as JSON lines on stdin
  (one request per line, one JSON answer per line on stdout): create users, tokens and organisations,
  inject faults (the next N API requests answer 502, drop the connection or answer late; the next N merges answer
  405 "Please try again later"; the next merge finds a commit pushed to the head branch just before it),
  change the reported version, and read the request log and the webhook deliveries.
  Closing stdin stops the server, so it never outlives the test process that started it.

Permissions are Gitea's (see README.md): a private repository is visible to its owner, collaborators, site
admins and the owning organisation's teams that hold it only, through REST and git alike; pushing, merging and
deleting branches need write. Mergeability is computed asynchronously as Gitea's queue does: after a pull request
is opened and after every push to its head or base it is "checking" for ``--merge-check-delay`` seconds
(``mergeable: false``, merges answer 405 "Please try again later"). Simplifications (documented, deliberate):
webhooks fire for review verdicts only (signed as Gitea signs them); branch protection does not exist; the review
comment's ``commit_id`` is the review's commit rather than the result of a blame.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_PAGE_SIZE = 30  # [api] DEFAULT_PAGING_NUM
MAX_PAGE_SIZE = 50  # [api] MAX_RESPONSE_ITEMS
ALL_SCOPE_CATEGORIES = ("repository", "issue", "user", "organization")
REVIEW_TYPES = ("APPROVED", "PENDING", "COMMENT", "REQUEST_CHANGES", "REQUEST_REVIEW")
HOOK_TYPES = ("dingtalk", "discord", "gitea", "gogs", "msteams", "slack", "telegram", "feishu", "wechatwork",
              "packagist")
# Review verdicts as webhook events: (X-Gitea-Event, X-Gitea-Event-Type); PENDING reviews fire nothing.
REVIEW_HOOK_EVENTS = {
    "APPROVED": ("pull_request_approved", "pull_request_review_approved"),
    "REQUEST_CHANGES": ("pull_request_rejected", "pull_request_review_rejected"),
    "COMMENT": ("pull_request_comment", "pull_request_review_comment"),
}
MERGE_STYLES = ("merge", "rebase", "rebase-merge", "squash", "fast-forward-only", "manually-merged")
DEFAULT_MERGE_CHECK_DELAY = 0.5
FULL_SHA = re.compile(r"[0-9a-f]{40}")
# perm.AccessMode (models/perm/access_mode.go): None < Read < Write < Admin < Owner, by index.
ACCESS_MODES = ("none", "read", "write", "admin", "owner")
NONE, READ, WRITE, ADMIN, OWNER = range(5)
# reqAdmin and reqRepoWriter (routers/api/v1/api.go) answer 403 with these texts.
NOT_REPO_ADMIN = "user should be an owner or a collaborator with admin write of a repository"
NOT_REPO_WRITER = "user should have a permission to write to a repo"


# Gitea's pre-receive hook refuses every ref of a pusher who may read but not write; cmd/hook.go prints
# "Gitea: <message>" to the client (git shows it as "remote: Gitea: ..." and "pre-receive hook declined").
PRE_RECEIVE_HOOK = """#!/bin/sh
cat >/dev/null
if [ "$GITEA_STANDIN_CAN_WRITE" != "1" ]; then
    echo "Gitea: User permission denied for writing." >&2
    exit 1
fi
exit 0
"""


class ApiError(Exception):
    """An error answer: a status and Gitea's JSON body (or a raw body for the odd cases)."""

    def __init__(self, status, message="", errors=None, raw=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.raw = raw


# CommitStatusState (modules/commitstatus/commit_status.go); `skipped` from 1.25 on.
STATUS_STATES = ("pending", "success", "error", "failure", "warning")


def combine_states(states):
    """CommitStatusStates.Combine (modules/commitstatus/commit_status.go), GitHub's rule: failure when any is error
    or failure; success when there is one and all are success, warning or skipped; else pending."""
    if any(s in ("error", "failure") for s in states):
        return "failure"
    if states and all(s in ("success", "warning", "skipped") for s in states):
        return "success"
    return "pending"


def now_unix():
    return int(datetime.datetime.now(datetime.timezone.utc).timestamp())


def rfc3339(unix):
    if unix is None:
        return None
    return datetime.datetime.fromtimestamp(unix, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ApiError(422, "invalid time format: " + text)


def version_tuple(text):
    parts = re.findall(r"\d+", text)[:3]
    return tuple(int(p) for p in parts) + (0,) * (3 - len(parts))


class Git:
    """Runs git in the server's bare repositories with a hermetic environment."""

    def __init__(self, root):
        self.memo = {}  # (repository, operation, commit, commit) -> what git answered
        self.home = os.path.join(root, "home")
        os.makedirs(self.home, exist_ok=True)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "GIT_CONFIG_NOSYSTEM": "1",
            "LANG": "C",
            "LC_ALL": "C",
        }

    def run(self, repo, *args, input=None, env=None, check=True):
        full_env = dict(self.env)
        if env:
            full_env.update(env)
        proc = subprocess.run(
            ["git", "--git-dir", repo] + list(args), input=input, env=full_env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and proc.returncode != 0:
            raise RuntimeError("git %s failed: %s" % (" ".join(args), proc.stderr.decode(errors="replace")))
        return proc

    def out(self, repo, *args, **kwargs):
        return self.run(repo, *args, **kwargs).stdout.decode().strip()

    def ref(self, repo, ref):
        if ref.startswith("refs/heads/"):
            # A branch's tip is read from the ref files, as git itself reads it: no process for the commonest look-up.
            return self.branches(repo).get(ref[len("refs/heads/"):])
        proc = self.run(repo, "rev-parse", "--verify", "-q", ref + "^{commit}", check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def branches(self, repo):
        """Every branch and its tip, from ``packed-refs`` and the loose refs that override it (gitrepository-layout)."""
        tips = {}
        try:
            with open(os.path.join(repo, "packed-refs")) as packed:
                for line in packed:
                    if line.startswith(("#", "^")):
                        continue
                    sha, _, name = line.strip().partition(" ")
                    if name.startswith("refs/heads/") and FULL_SHA.fullmatch(sha):
                        tips[name[len("refs/heads/"):]] = sha
        except FileNotFoundError:
            pass
        heads = os.path.join(repo, "refs", "heads")
        for folder, _, files in os.walk(heads):
            for name in files:
                if name.endswith(".lock"):
                    continue
                path = os.path.join(folder, name)
                try:
                    with open(path) as loose:
                        sha = loose.read().strip()
                except FileNotFoundError:
                    continue  # deleted meanwhile
                if FULL_SHA.fullmatch(sha):
                    tips[os.path.relpath(path, heads)] = sha
        return tips

    def merge_base(self, repo, a, b):
        return self.memoized(repo, "merge-base", a, b, lambda: self._merge_base(repo, a, b))

    def _merge_base(self, repo, a, b):
        proc = self.run(repo, "merge-base", a, b, check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else ""

    def memoized(self, repo, operation, a, b, compute):
        """``compute()``, once for the same two commits: what git answers about given commits never changes."""
        if not (FULL_SHA.fullmatch(a or "") and FULL_SHA.fullmatch(b or "")):
            return compute()
        key = (repo, operation, a, b)
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def merge_tree(self, repo, base, head):
        """The merged tree of base and head, or None on conflict."""
        proc = self.run(repo, "merge-tree", "--write-tree", "--no-messages", base, head, check=False)
        if proc.returncode == 0:
            return proc.stdout.decode().split()[0]
        return None

    def tree(self, repo, commit):
        return self.memoized(repo, "tree", commit, commit, lambda: self.out(repo, "rev-parse", commit + "^{tree}"))

    def file_lines(self, repo, commit, path):
        proc = self.run(repo, "show", "%s:%s" % (commit, path), check=False)
        if proc.returncode != 0:
            return None
        return proc.stdout.decode(errors="replace").splitlines()


class State:
    """Everything the server knows, guarded by one lock."""

    def __init__(self, root, version, root_url_holder):
        self.lock = threading.RLock()
        self.git_lock = threading.Lock()
        self.root = root
        self.repos_root = os.path.join(root, "repositories")
        os.makedirs(self.repos_root, exist_ok=True)
        self.git = Git(root)
        self.hooks_dir = os.path.join(root, "hooks")
        os.makedirs(self.hooks_dir, exist_ok=True)
        hook = os.path.join(self.hooks_dir, "pre-receive")
        with open(hook, "w") as handle:
            handle.write(PRE_RECEIVE_HOOK)
        os.chmod(hook, 0o755)
        self.version = version
        self.url_holder = root_url_holder
        self.next_id = {"user": 1, "repo": 1, "pr": 1, "review": 1, "comment": 1, "hook": 1, "team": 1}
        self.users = {}  # lower login -> user dict
        self.tokens = {}  # token -> {"login", "scopes"}
        # lower name -> {"id", "name", "members": set(lower logins) (the Owners team), "teams": {lower name: team}};
        # a team is {"name", "permission", "members": set, "includes_all": bool, "repos": set of repo keys}
        self.orgs = {}
        self.repos = {}  # (lower owner, lower name) -> repo dict
        self.prs = {}  # pr id -> pr dict
        self.reviews = {}  # review id -> review dict
        self.comments = {}  # comment id -> comment dict (issue and review comments share ids, as in Gitea)
        self.faults = []  # list of {"kind": "status"|"drop", "status", "count", "path", "method"}
        self.merge_busy = 0
        # Seconds a pull request stays "checking" after it is opened and after a push to its head or base
        # (services/pull/check.go: the check runs in a queue, and meanwhile the status is PullRequestStatusChecking).
        self.merge_check_delay = DEFAULT_MERGE_CHECK_DELAY
        # Besides the delay, a check can end only once the pull request was read this many times: the queue finishing
        # while a client polls `mergeable`, whatever the load on the machine (tests that must see the checking state).
        self.merge_check_reads = 0
        self.move_on_merge = []  # pending "someone pushes right before the merge" faults: {"files", "author", ...}
        self.log = []  # {"method", "path", "status"}
        self.hooks = {}  # hook id -> {"id", "repo": (owner, name) key, "config", "events", "active", ...}
        self.statuses = {}  # (repo key, commit sha) -> [status dicts], oldest first
        self.deliveries = []  # {"hook_id", "event", "event_type", "status", "error", "at"}
        # Deliveries started and not finished; notified as each one finishes, so a test can wait for none.
        self.deliveries_pending = 0
        self.deliveries_done = threading.Condition(self.lock)

    # ---- ids, urls

    def new_id(self, kind):
        value = self.next_id[kind]
        self.next_id[kind] += 1
        return value

    @property
    def root_url(self):
        return self.url_holder["root_url"]

    # ---- users and tokens

    def create_user(self, login, admin=False, scopes=None, full_name=None, email=None):
        with self.lock:
            key = login.lower()
            if key in self.users or key in self.orgs:
                raise ApiError(422, "user already exists [name: %s]" % login)
            user = {
                "id": self.new_id("user"), "login": login, "full_name": full_name or login,
                "email": email or "%s@example.com" % login, "is_admin": bool(admin), "created": now_unix(),
            }
            self.users[key] = user
            token = self.create_token(login, scopes if scopes is not None else ["all"])
            return user, token

    def create_token(self, login, scopes):
        with self.lock:
            if login.lower() not in self.users:
                raise ApiError(404, "user does not exist [name: %s]" % login)
            token = secrets.token_hex(20)
            self.tokens[token] = {"login": self.users[login.lower()]["login"], "scopes": set(scopes)}
            return token

    def user(self, login):
        return self.users.get(login.lower()) if login else None

    def user_json(self, user):
        if user is None:
            return None
        root = self.root_url
        return {
            "id": user["id"], "login": user["login"], "login_name": "", "source_id": 0,
            "full_name": user["full_name"], "email": user["email"],
            "avatar_url": root + "avatars/" + user["login"].lower(), "html_url": root + user["login"],
            "language": "", "is_admin": user["is_admin"], "last_login": rfc3339(user["created"]),
            "created": rfc3339(user["created"]), "restricted": False, "active": True, "prohibit_login": False,
            "location": "", "website": "", "description": "", "visibility": "public",
            "followers_count": 0, "following_count": 0, "starred_repos_count": 0,
            "username": user["login"],
        }

    def owner_json(self, owner_key):
        if owner_key in self.users:
            return self.user_json(self.users[owner_key])
        org = self.orgs[owner_key]
        return self.user_json({"id": org["id"], "login": org["name"], "full_name": org["name"],
                               "email": "", "is_admin": False, "created": org["created"]})

    # ---- repositories

    def repo_path(self, repo):
        return os.path.join(self.repos_root, repo["owner"].lower(), repo["name"].lower() + ".git")

    def create_repo(self, owner_key, option):
        name = option.get("name") or ""
        if not name:
            raise ApiError(422, "[Name]: Required")
        if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,100}", name) or name in (".", "..") or name.endswith(".git"):
            raise ApiError(422, "[Name]: AlphaDashDot")
        with self.lock:
            key = (owner_key, name.lower())
            if key in self.repos:
                raise ApiError(409, "The repository with the same name already exists.")
            owner_name = self.users[owner_key]["login"] if owner_key in self.users else self.orgs[owner_key]["name"]
            default_branch = option.get("default_branch") or "main"
            created = now_unix()
            repo = {
                "id": self.new_id("repo"), "owner": owner_name, "owner_key": owner_key, "name": name,
                "description": option.get("description") or "", "private": bool(option.get("private")),
                "default_branch": default_branch, "created": created, "updated": created,
                "default_delete_branch_after_merge": False, "next_index": 1, "collaborators": {},
            }
            path = self.repo_path(repo)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            subprocess.run(["git", "init", "-q", "--bare", "-b", default_branch, path], env=self.git.env, check=True)
            self.git.run(path, "config", "http.receivepack", "true")
            if option.get("auto_init"):
                readme = "# %s\n\n%s\n" % (name, repo["description"]) if repo["description"] else "# %s\n" % name
                blob = self.git.out(path, "hash-object", "-w", "--stdin", input=readme.encode())
                tree = self.git.out(path, "mktree", input=("100644 blob %s\tREADME.md\n" % blob).encode())
                creator = self.users.get(option.get("_creator", "").lower()) or {"login": owner_name,
                                                                               "email": "%s@example.com" % owner_name}
                env = self.signature_env(creator, creator)
                commit = self.git.out(path, "commit-tree", tree, "-m", "Initial commit", env=env)
                self.git.run(path, "update-ref", "refs/heads/" + default_branch, commit)
            self.repos[key] = repo
            creator = (option.get("_creator") or "").lower()
            if owner_key in self.orgs and creator and self.access_mode(repo, creator) < ADMIN:
                # services/repository/create.go: "Make creator repo admin if it wasn't assigned automatically".
                repo["collaborators"][creator] = "admin"
            return repo

    def signature_env(self, author, committer):
        stamp = "%d +0000" % now_unix()
        return {
            "GIT_AUTHOR_NAME": author["login"], "GIT_AUTHOR_EMAIL": author["email"], "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_NAME": committer["login"], "GIT_COMMITTER_EMAIL": committer["email"],
            "GIT_COMMITTER_DATE": stamp,
        }

    def find_repo(self, owner, name):
        return self.repos.get((owner.lower(), name.lower()))

    def access_mode(self, repo, login):
        """The user's access to the repository, as Gitea's GetUserRepoPermission computes it.

        models/perm/access/repo_permission.go: an anonymous user gets nothing of a private repository and read of a
        public one; a site admin and the owner get owner; otherwise the collaboration's mode, for an organisation's
        repository raised by the user's teams that hold it (a member of the Owners team gets owner), and at least
        read of a public repository.
        """
        public = NONE if repo["private"] else READ
        user = self.user(login) if login else None
        if user is None:
            return public
        key = user["login"].lower()
        if user["is_admin"] or key == repo["owner_key"]:
            return OWNER
        mode = max(public, ACCESS_MODES.index(repo["collaborators"].get(key, "none")))
        org = self.orgs.get(repo["owner_key"])
        if org is not None:
            if key in org["members"]:
                return OWNER
            for team in org["teams"].values():
                if key in team["members"] and (team["includes_all"] or self.repo_key(repo) in team["repos"]):
                    # Team.HasAdminAccess (models/organization/team.go) makes an admin team's members owners.
                    team_mode = ACCESS_MODES.index(team["permission"])
                    mode = max(mode, OWNER if team_mode >= ADMIN else team_mode)
        return mode

    def is_repo_admin(self, repo, login):
        return self.access_mode(repo, login) >= ADMIN

    def repo_json(self, repo, login=None):
        root = self.root_url
        full = "%s/%s" % (repo["owner"], repo["name"])
        branches = self.git.branches(self.repo_path(repo))
        mode = self.access_mode(repo, login)
        open_prs = sum(1 for pr in self.prs.values() if pr["repo_key"] == self.repo_key(repo) and pr["state"] == "open")
        return {
            "id": repo["id"], "owner": self.owner_json(repo["owner_key"]), "name": repo["name"], "full_name": full,
            "description": repo["description"], "empty": not branches, "private": repo["private"], "fork": False,
            "template": False, "parent": None, "mirror": False, "size": 0, "language": "",
            "languages_url": root + "api/v1/repos/" + full + "/languages", "html_url": root + full,
            "url": root + "api/v1/repos/" + full, "link": "", "ssh_url": "git@127.0.0.1:%s.git" % full,
            "clone_url": root + full + ".git", "original_url": "", "website": "", "stars_count": 0,
            "forks_count": 0, "watchers_count": 1, "open_issues_count": 0, "open_pr_counter": open_prs,
            "release_counter": 0, "default_branch": repo["default_branch"], "archived": False,
            "created_at": rfc3339(repo["created"]), "updated_at": rfc3339(repo["updated"]),
            "archived_at": "1970-01-01T00:00:00Z",
            "permissions": {"admin": mode >= ADMIN, "push": mode >= WRITE, "pull": mode >= READ},
            "has_code": True, "has_issues": True,
            "internal_tracker": {"enable_time_tracker": True, "allow_only_contributors_to_track_time": True,
                                 "enable_issue_dependencies": True},
            "has_wiki": True, "has_pull_requests": True, "has_projects": True, "projects_mode": "all",
            "has_releases": True, "has_packages": True, "has_actions": True,
            "ignore_whitespace_conflicts": False, "allow_merge_commits": True, "allow_rebase": True,
            "allow_rebase_explicit": True, "allow_squash_merge": True, "allow_fast_forward_only_merge": True,
            "allow_rebase_update": True, "allow_manual_merge": False, "autodetect_manual_merge": False,
            "default_delete_branch_after_merge": repo["default_delete_branch_after_merge"],
            "default_merge_style": "merge", "default_allow_maintainer_edit": False,
            "default_update_style": "merge", "default_target_branch": repo["default_branch"],
            "avatar_url": "", "internal": False, "mirror_interval": "", "object_format_name": "sha1",
            "mirror_updated": "0001-01-01T00:00:00Z", "topics": [], "licenses": [],
            "branch_count": len(branches),
        }

    @staticmethod
    def repo_key(repo):
        return (repo["owner_key"], repo["name"].lower())

    # ---- pull requests

    def prs_of(self, repo):
        key = self.repo_key(repo)
        return sorted((pr for pr in self.prs.values() if pr["repo_key"] == key), key=lambda pr: pr["id"])

    def pr_by_number(self, repo, number):
        for pr in self.prs_of(repo):
            if pr["number"] == number:
                return pr
        return None

    def start_merge_check(self, pr):
        """Puts the pull request in Gitea's "checking" state until the (emulated) queue has tested it."""
        pr["checked_at"] = time.monotonic() + self.merge_check_delay
        pr["checking_reads"] = self.merge_check_reads

    def mergeable(self, repo, pr):
        """PullRequest.Mergeable (models/issues/pull.go): false while checking, on conflict, and when merged."""
        if pr["merged"] or pr["state"] != "open":
            return False
        if time.monotonic() < pr.get("checked_at", 0) or pr.get("checking_reads", 0) > 0:
            return False
        path = self.repo_path(repo)
        base = self.git.ref(path, "refs/heads/" + pr["base"])
        if base is None:
            return False
        cache_key = (base, pr["head_sha"])
        if pr.get("mergeable_cache", (None, None))[0] != cache_key:
            pr["mergeable_cache"] = (cache_key, self.git.merge_tree(path, base, pr["head_sha"]) is not None)
        return pr["mergeable_cache"][1]

    def branch_info(self, repo, repo_json, pr, side):
        if side == "base":
            path = self.repo_path(repo)
            sha = self.git.ref(path, "refs/heads/" + pr["base"]) or pr.get("base_sha", "")
            return {"label": pr["base"], "ref": pr["base"], "sha": sha, "repo_id": repo["id"], "repo": repo_json}
        ref = "refs/pull/%d/head" % pr["number"] if pr["head_deleted"] else pr["head"]
        return {"label": pr["head"], "ref": ref, "sha": pr["head_sha"], "repo_id": repo["id"], "repo": repo_json}

    def requested_reviewer_logins(self, pr):
        latest = {}
        for review in self.reviews_of(pr):
            if review["type"] in ("APPROVED", "REQUEST_CHANGES", "REQUEST_REVIEW"):
                latest[review["reviewer"].lower()] = review
        return [r["reviewer"] for r in latest.values() if r["type"] == "REQUEST_REVIEW"]

    def pr_html(self, repo, pr):
        return "%s%s/%s/pulls/%d" % (self.root_url, repo["owner"], repo["name"], pr["number"])

    def pr_json(self, repo, pr):
        html = self.pr_html(repo, pr)
        repo_json = self.repo_json(repo)
        poster = self.user(pr["poster"])
        review_comments = sum(1 for c in self.comments.values() if c["pr_id"] == pr["id"] and c["kind"] == "review")
        comments = sum(1 for c in self.comments.values() if c["pr_id"] == pr["id"] and c["kind"] == "comment")
        result = {
            "id": pr["id"], "url": html, "number": pr["number"], "user": self.user_json(poster),
            "title": pr["title"], "body": pr["body"], "labels": [], "milestone": None, "assignee": None,
            "assignees": [], "requested_reviewers": [self.user_json(self.user(l))
                                                     for l in self.requested_reviewer_logins(pr)],
            "requested_reviewers_teams": [], "state": pr["state"], "draft": pr["title"].startswith(("WIP:", "[WIP]")),
            "is_locked": False, "comments": comments, "review_comments": review_comments,
            "html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch",
            "mergeable": self.mergeable(repo, pr), "merged": pr["merged"],
            "merged_at": rfc3339(pr["merged_at"]), "merge_commit_sha": pr["merge_commit_sha"],
            "merged_by": self.user_json(self.user(pr["merged_by"])) if pr["merged_by"] else None,
            "allow_maintainer_edit": False, "base": self.branch_info(repo, repo_json, pr, "base"),
            "head": self.branch_info(repo, repo_json, pr, "head"), "merge_base": pr["merge_base"], "due_date": None,
            "created_at": rfc3339(pr["created"]), "updated_at": rfc3339(pr["updated"]),
            "closed_at": rfc3339(pr["closed_at"]), "pin_order": 0, "content_version": pr["content_version"],
        }
        stats = self.diff_stats(repo, pr)
        if stats is not None:
            result["additions"], result["deletions"], result["changed_files"] = stats
        return result

    def diff_stats(self, repo, pr):
        if not pr["merge_base"]:
            return None
        path = self.repo_path(repo)
        proc = self.git.memoized(path, "numstat", pr["merge_base"], pr["head_sha"], lambda: self.git.run(
            path, "diff", "--numstat", pr["merge_base"], pr["head_sha"], check=False))
        if proc.returncode != 0:
            return None
        additions = deletions = files = 0
        for line in proc.stdout.decode().splitlines():
            parts = line.split("\t")
            if len(parts) >= 3:
                files += 1
                additions += int(parts[0]) if parts[0].isdigit() else 0
                deletions += int(parts[1]) if parts[1].isdigit() else 0
        return additions, deletions, files

    # ---- reviews and comments

    def reviews_of(self, pr):
        items = [r for r in self.reviews.values() if r["pr_id"] == pr["id"]]
        return sorted(items, key=lambda r: (r["created"], r["id"]))

    def review_json(self, repo, pr, review):
        html = self.pr_html(repo, pr)
        count = sum(1 for c in self.comments.values() if c.get("review_id") == review["id"])
        return {
            "id": review["id"], "user": self.user_json(self.user(review["reviewer"])), "team": None,
            "state": review["type"], "body": review["body"], "commit_id": review["commit_id"],
            "stale": review["stale"], "official": review["official"], "dismissed": review["dismissed"],
            "comments_count": count, "submitted_at": rfc3339(review["created"]),
            "updated_at": rfc3339(review["updated"]), "html_url": "%s#issuecomment-%d" % (html, review["id"]),
            "pull_request_url": html,
        }

    def add_review(self, pr, reviewer, kind, body, commit_id, official, stale=False):
        stamp = now_unix()
        review = {"id": self.new_id("review"), "pr_id": pr["id"], "reviewer": reviewer, "type": kind,
                  "body": body, "commit_id": commit_id, "stale": stale, "official": official,
                  "dismissed": False, "created": stamp, "updated": stamp}
        self.reviews[review["id"]] = review
        return review

    def is_official_reviewer(self, repo, login):
        """IsOfficialReviewer (models/issues/review.go) without branch protection, Gitea >= 1.21: code write."""
        return self.access_mode(repo, login) >= WRITE

    def add_review_request(self, repo, pr, login):
        """AddReviewRequest: a REQUEST_REVIEW row, official for a writer, whose older reviews then stop being so."""
        official = self.is_official_reviewer(repo, login)
        if official:
            self.clear_official(pr, login)
        self.clear_review_requests(pr, login, "REQUEST_REVIEW")
        return self.add_review(pr, self.user(login)["login"], "REQUEST_REVIEW", "", "", official)

    def clear_review_requests(self, pr, reviewer, kind):
        """CreateReview: any review but a pending one deletes the user's REQUEST_REVIEW rows ("make sure user
        review requests are cleared"), so a submitted review ends the request and a new request replaces the old."""
        if kind == "PENDING":
            return
        for review in self.reviews_of(pr):
            if review["reviewer"].lower() == reviewer.lower() and review["type"] == "REQUEST_REVIEW":
                del self.reviews[review["id"]]

    def clear_official(self, pr, reviewer):
        for review in self.reviews_of(pr):
            if review["reviewer"].lower() == reviewer.lower():
                review["official"] = False

    def comment_json(self, repo, pr, comment):
        html = self.pr_html(repo, pr)
        return {
            "id": comment["id"], "html_url": "%s#issuecomment-%d" % (html, comment["id"]),
            "pull_request_url": html, "issue_url": "", "user": self.user_json(self.user(comment["user"])),
            "original_author": "", "original_author_id": 0, "body": comment["body"], "assets": [],
            "created_at": rfc3339(comment["created"]), "updated_at": rfc3339(comment["updated"]),
        }

    def review_comment_json(self, repo, pr, comment):
        html = self.pr_html(repo, pr)
        return {
            "id": comment["id"], "body": comment["body"], "user": self.user_json(self.user(comment["user"])),
            "resolver": None, "pull_request_review_id": comment["review_id"],
            "created_at": rfc3339(comment["created"]), "updated_at": rfc3339(comment["updated"]),
            "path": comment["path"], "commit_id": comment["commit_id"], "original_commit_id": "",
            "diff_hunk": comment["diff_hunk"], "position": comment["position"],
            "original_position": comment["original_position"],
            "html_url": "%s/files#issuecomment-%d" % (html, comment["id"]), "pull_request_url": html,
        }

    # ---- pushes

    def branch_updated(self, repo, branch, old, new):
        """Applies Gitea's bookkeeping after a push moved (or deleted) a branch."""
        path = self.repo_path(repo)
        for pr in self.prs_of(repo):
            if pr["state"] != "open":
                continue
            if pr["head"] == branch:
                if new is None:
                    self.close_pr(pr, None)
                    pr["head_deleted"] = True
                    continue
                old_base = pr["merge_base"]
                base_sha = self.git.ref(path, "refs/heads/" + pr["base"]) or ""
                new_base = self.git.merge_base(path, base_sha, new) if base_sha else ""
                old_tree = self.git.tree(path, pr["head_sha"])
                diff_changed = old_tree != self.git.tree(path, new) or old_base != new_base
                pr["head_sha"] = new
                pr["merge_base"] = new_base
                pr["updated"] = now_unix()
                self.git.run(path, "update-ref", "refs/pull/%d/head" % pr["number"], new)
                if diff_changed:
                    for review in self.reviews_of(pr):
                        review["stale"] = review["commit_id"] != new
                self.start_merge_check(pr)
            elif pr["base"] == branch and new is not None:
                # A push to the base re-tests every pull request into it (AddTestPullRequestTask).
                pr["merge_base"] = self.git.merge_base(path, new, pr["head_sha"])
                self.start_merge_check(pr)

    # ---- webhooks

    def hook_json(self, hook):
        return {
            "id": hook["id"], "type": hook["type"], "branch_filter": hook["branch_filter"],
            "config": {"url": hook["url"], "content_type": hook["content_type"], "http_method": hook["http_method"]},
            "events": hook["events"], "authorization_header": hook["authorization_header"], "active": hook["active"],
            "updated_at": rfc3339(hook["updated"]), "created_at": rfc3339(hook["created"]),
        }

    def deliver_review_hooks(self, repo, pr, review):
        """Sends the review's webhook to every active hook of the repository that asked for review events."""
        event, event_type = REVIEW_HOOK_EVENTS[review["type"]]
        hooks = [h for h in self.hooks.values() if h["repo"] == self.repo_key(repo) and h["active"]
                 and ("pull_request" in h["events"] or "pull_request_review" in h["events"])]
        if not hooks:
            return
        reviewer = self.user_json(self.user(review["reviewer"]))
        payload = {"action": "reviewed", "number": pr["number"], "pull_request": self.pr_json(repo, pr),
                   "requested_reviewer": reviewer, "repository": self.repo_json(repo), "sender": reviewer,
                   "commit_id": "", "review": {"type": event_type, "content": review["body"]}}
        for hook in hooks:
            with self.lock:
                self.deliveries_pending += 1
            thread = threading.Thread(target=self.deliver, args=(hook, event, event_type, payload), daemon=True)
            thread.start()

    def deliver(self, hook, event, event_type, payload):
        """One delivery, as Gitea's webhook queue makes it: signed body, event headers, a 5 s timeout."""
        data = json.dumps(payload).encode()
        if hook["content_type"] == "form":
            data = urllib.parse.urlencode({"payload": data.decode()}).encode()
        secret = hook["secret"].encode()
        sha256 = hmac.new(secret, data, hashlib.sha256).hexdigest() if secret else ""
        sha1 = hmac.new(secret, data, hashlib.sha1).hexdigest() if secret else ""
        delivery = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json" if hook["content_type"] == "json"
            else "application/x-www-form-urlencoded",
            "User-Agent": "Go-http-client/1.1",
            "X-Gitea-Delivery": delivery, "X-Gitea-Event": event, "X-Gitea-Event-Type": event_type,
            "X-Gitea-Signature": sha256, "X-Gitea-Hook-Installation-Target-Type": "repository",
            "X-Gogs-Delivery": delivery, "X-Gogs-Event": event, "X-Gogs-Event-Type": event_type,
            "X-Gogs-Signature": sha256,
            "X-Hub-Signature": "sha1=" + sha1 if sha1 else "", "X-Hub-Signature-256": "sha256=" + sha256 if sha256 else "",
            "X-GitHub-Delivery": delivery, "X-GitHub-Event": event, "X-GitHub-Event-Type": event_type,
            "X-GitHub-Hook-Installation-Target-Type": "repository",
        }
        if hook["authorization_header"]:
            headers["Authorization"] = hook["authorization_header"]
        request = urllib.request.Request(hook["url"], data=data, headers=headers,
                                         method=hook["http_method"].upper())
        record = {"hook_id": hook["id"], "delivery": delivery, "event": event, "event_type": event_type,
                  "status": 0, "error": ""}
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                record["status"] = response.status
        except urllib.error.HTTPError as error:
            record["status"] = error.code
        except (OSError, ValueError) as error:
            record["error"] = str(error)
        with self.lock:
            self.deliveries.append(record)
            self.deliveries_pending -= 1
            self.deliveries_done.notify_all()

    def close_pr(self, pr, _actor):
        stamp = now_unix()
        pr["state"] = "closed"
        pr["closed_at"] = stamp
        pr["updated"] = stamp


class Handler(BaseHTTPRequestHandler):
    """Routes one request: control, git smart HTTP, or the REST API."""

    protocol_version = "HTTP/1.1"
    server_version = "GiteaTestServer"
    sys_version = ""
    # The path of the request being answered until its log entry is written (see `send`).
    unrecorded_path = None

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        # Without TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms to every keep-alive request.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    @property
    def state(self):
        return self.server.state

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    # ---- plumbing

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, body=b"", content_type="application/json;charset=utf-8", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        if self.unrecorded_path is not None:
            path, self.unrecorded_path = self.unrecorded_path, None
            self.record(path, status)
        self.send_response(status)
        if body:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or []):
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        self.status_sent = status

    def error_body(self, error):
        root = self.state.root_url
        if error.raw is not None:
            return error.raw
        if error.status == 404:
            version = version_tuple(self.state.version)
            if version < (1, 25, 0):
                return {"errors": error.errors, "message": "The target couldn't be found.",
                        "url": root + "api/swagger"}
            if version < (1, 27, 0):
                return {"errors": error.errors, "message": error.message or "not found", "url": root + "api/swagger"}
            return {"message": error.message or "not found", "url": root + "api/swagger"}
        return {"message": error.message, "url": root + "api/swagger"}

    def dispatch(self):
        self.status_sent = 0
        self.unrecorded_path = None
        self.login = None
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        fault = None if path.startswith("/_test/") else self.take_fault(path)
        if fault is not None and fault["kind"] == "drop" and fault.get("early"):
            # Closed with the body unread: a client still sending it gets a reset (EPIPE on its next write).
            self.drop_connection(path)
            return
        body = self.read_body()
        if path.startswith("/_test/"):
            try:
                args = json.loads(body) if body else {}
                args.update({k: v[0] for k, v in query.items()})
                result = self.server.control(path[len("/_test/"):], args)
                self.send(200, result)
            except ApiError as error:
                self.send(error.status, {"message": error.message})
            return
        if fault is not None and fault["kind"] == "slow":
            # Logged on arrival (status 0): the client may give up before the late answer, which is not logged again.
            self.record(path, 0, "slow")
            time.sleep(fault["delay"])
            try:
                self.route(path, parsed.query, query, body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            return
        if fault is not None and fault["kind"] == "lose":
            # The request is carried out and its answer lost: the connection closes before a byte of it is sent.
            real = self.wfile
            self.wfile = io.BytesIO()
            try:
                self.route(path, parsed.query, query, body)
            finally:
                self.wfile = real
            self.drop_connection(path, "lose", self.status_sent)
            return
        if fault is not None:
            if fault["kind"] == "drop":
                self.drop_connection(path)
                return
            # Logged before the answer goes out, as every answer is: a client that read the 502 and then asks for
            # the request log must find it there (logged after, a loaded machine let the client ask first).
            self.record(path, fault["status"], "status")
            self.send(fault["status"], b"<html><body>Bad Gateway</body></html>", "text/html",
                      [("Retry-After", str(fault["retry_after"]))] if fault.get("retry_after") is not None else [])
            return
        # Logged as the answer's status line goes out, not after its body: a client that has read the answer and
        # then asks for the request log must find the request in it.
        self.unrecorded_path = path
        self.route(path, parsed.query, query, body)
        if self.unrecorded_path is not None:
            self.unrecorded_path = None
            self.record(path, self.status_sent)

    def route(self, path, query_string, query, body):
        """Answers an API or git request (faults already handled); sets ``status_sent``."""
        try:
            if path.startswith("/api/v1/") or path == "/api/v1":
                self.api(path[len("/api/v1"):], query, body)
            elif re.match(r"^/[^/]+/[^/]+?(\.git)?/(info/refs|git-upload-pack|git-receive-pack|HEAD|objects/.*)$", path):
                self.git_http(path, query_string, body)
            else:
                raise ApiError(404)
        except ApiError as error:
            if error.status == 401 and not path.startswith("/api/"):
                self.send(401, b"Unauthorized\n", "text/plain", [("WWW-Authenticate", 'Basic realm="Gitea"')])
            else:
                self.send(error.status, self.error_body(error))
        except Exception as error:  # an emulator bug: answer like Gitea's 500 and log it
            sys.stderr.write("internal error on %s %s: %r\n" % (self.command, path, error))
            import traceback
            traceback.print_exc()
            self.send(500, {"message": "", "url": self.state.root_url + "api/swagger"})

    def drop_connection(self, path, fault="drop", status=0):
        """Closes the connection without an answer (the `drop` and `lose` faults), logged with `status`."""
        self.record(path, status, fault)
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def record(self, path, status, fault=None):
        entry = {"method": self.command, "path": path, "status": status,
                 "query": urllib.parse.urlsplit(self.path).query}
        if fault is not None:
            entry["fault"] = fault
        with self.state.lock:
            self.state.log.append(entry)

    def take_fault(self, path):
        with self.state.lock:
            for fault in self.state.faults:
                if fault["count"] <= 0:
                    continue
                if not path.startswith(fault.get("prefix") or "/api/v1/"):
                    continue
                if fault.get("path") and fault["path"] not in path:
                    continue
                if fault.get("method") and fault["method"].upper() != self.command:
                    continue
                fault["count"] -= 1
                return fault
        return None

    # ---- authentication

    def credentials(self, query):
        """The token offered by the request, or None; (token, present)."""
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme in ("token", "bearer"):
            return value.strip()
        if scheme == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return ""
            if password and password != "x-oauth-basic":
                return password
            return user
        for name in ("token", "access_token"):
            if name in query:
                return query[name][0]
        return None

    def authenticate(self, query, required=True):
        token = self.credentials(query)
        if token is None:
            if required:
                raise ApiError(401, "token is required")
            return None
        entry = self.state.tokens.get(token)
        if entry is None:
            if version_tuple(self.state.version) >= (1, 26, 0):
                raise ApiError(401, "invalid username, password or token")
            raise ApiError(401, "access token does not exist [sha: %s]" % token)
        return entry

    def require_scope(self, entry, category, write):
        scopes = entry["scopes"]
        if "all" in scopes or "write:" + category in scopes or (not write and "read:" + category in scopes):
            return
        need = ("write:" if write else "read:") + category
        raise ApiError(403, "token does not have at least one of required scope(s), required=[%s], token scope=%s"
                       % (need, ",".join(sorted(scopes))))

    # ---- git smart HTTP

    def git_http(self, path, query_string, body):
        match = re.match(r"^/([^/]+)/([^/]+?)(?:\.git)?(/.*)$", path)
        owner, name, rest = match.group(1), match.group(2), match.group(3)
        state = self.state
        with state.lock:
            repo = state.find_repo(owner, name)
        if repo is None:
            self.send(404, b"Repository not found", "text/plain")
            return
        service = urllib.parse.parse_qs(query_string).get("service", [""])[0]
        writing = rest == "/git-receive-pack" or service == "git-receive-pack"
        token = self.credentials({})
        entry = state.tokens.get(token) if token else None
        if token is not None and entry is None:
            raise ApiError(401)
        if (writing or repo["private"]) and entry is None:
            raise ApiError(401)
        if writing:
            scopes = entry["scopes"]
            if not ("all" in scopes or "write:repository" in scopes):
                self.send(403, b"token does not have at least one of required scope(s), required=[write:repository]\n",
                          "text/plain")
                return
        with state.lock:
            mode = state.access_mode(repo, entry["login"] if entry else None)
        if mode < READ:
            # routers/web/repo/githttp.go httpBase: a doer without access is told the repository does not exist.
            self.send(404, b"Repository not found", "text/plain")
            return
        repo_path = state.repo_path(repo)
        env = dict(state.git.env)
        env.update({
            "GIT_PROJECT_ROOT": state.repos_root, "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": "/%s/%s.git%s" % (repo["owner"].lower(), repo["name"].lower(), rest),
            "REQUEST_METHOD": self.command, "QUERY_STRING": query_string or "",
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1", "REMOTE_USER": entry["login"] if entry else "",
            "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1",
            # With proc-receive (git >= 2.29) Gitea lets a reader start a push and refuses its refs in the
            # pre-receive hook (routers/private/hook_pre_receive.go: "User permission denied for writing.").
            "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.hooksPath", "GIT_CONFIG_VALUE_0": state.hooks_dir,
            "GITEA_STANDIN_CAN_WRITE": "1" if mode >= WRITE else "0",
        })
        for header, variable in (("Content-Encoding", "HTTP_CONTENT_ENCODING"), ("Git-Protocol", "GIT_PROTOCOL")):
            if self.headers.get(header):
                env[variable] = self.headers[header]
        pushing = self.command == "POST" and rest == "/git-receive-pack"
        if pushing:
            # Lock order everywhere is state.lock before git_lock; the push holds only git_lock while git
            # runs, then applies Gitea's bookkeeping under state.lock.
            with state.git_lock:
                before = state.git.branches(repo_path)
                proc = subprocess.run(["git", "http-backend"], input=body, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                after = state.git.branches(repo_path)
            with state.lock:
                for branch in sorted(set(before) | set(after)):
                    if before.get(branch) != after.get(branch):
                        state.branch_updated(repo, branch, before.get(branch), after.get(branch))
                repo["updated"] = now_unix()
        else:
            proc = subprocess.run(["git", "http-backend"], input=body, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        output = proc.stdout
        separator = output.find(b"\r\n\r\n")
        skip = 4
        if separator < 0:
            separator, skip = output.find(b"\n\n"), 2
        head, payload = output[:separator], output[separator + skip:]
        status, content_type, headers = 200, "text/plain", []
        for line in head.decode(errors="replace").splitlines():
            key, _, value = line.partition(":")
            value = value.strip()
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key.lower() == "content-type":
                content_type = value
            elif key:
                headers.append((key, value))
        self.send(status, payload, content_type, headers)

    # ---- REST API

    def api(self, path, query, raw_body):
        method = self.command
        state = self.state
        if path == "/version" and method == "GET":
            self.send(200, {"version": state.version})
            return
        routes = [
            ("GET", r"/user", self.get_user, "user", False),
            ("POST", r"/user/repos", self.create_user_repo, "repository", True),
            ("POST", r"/orgs/(?P<org>[^/]+)/repos", self.create_org_repo, "organization", True),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)", self.get_repo, "repository", False),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls", self.list_prs, "repository", False),
            ("POST", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls", self.create_pr, "repository", True),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)", self.get_pr, "repository", False),
            ("PATCH", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)", self.edit_pr, "repository", True),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/merge", self.is_merged, "repository", False),
            ("POST", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/merge", self.merge_pr, "repository", True),
            ("POST", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/requested_reviewers",
             self.request_reviewers, "repository", True),
            ("DELETE", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/requested_reviewers",
             self.cancel_review_requests, "repository", True),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/reviews", self.list_reviews, "repository",
             False),
            ("POST", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/reviews", self.create_review, "repository",
             True),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/reviews/(?P<id>\d+)", self.get_review,
             "repository", False),
            ("POST", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/reviews/(?P<id>\d+)",
             self.submit_pending_review, "repository", True),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/reviews/(?P<id>\d+)/comments",
             self.list_review_comments, "repository", False),
            ("POST", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/reviews/(?P<id>\d+)/dismissals",
             self.dismiss_review, "repository", True),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<base>[^/]+)/(?P<head>.+)", self.get_pr_by_base_head,
             "repository", False),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)/comments", self.list_issue_comments, "issue",
             False),
            ("POST", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)/comments", self.create_issue_comment,
             "issue", True),
            ("DELETE", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/branches/(?P<branch>.+)", self.delete_branch, "repository",
             True),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/collaborators", self.list_collaborators, "repository",
             False),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/collaborators/(?P<c>[^/]+)", self.is_collaborator,
             "repository", False),
            ("PUT", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/collaborators/(?P<c>[^/]+)", self.add_collaborator,
             "repository", True),
            ("DELETE", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/collaborators/(?P<c>[^/]+)", self.delete_collaborator,
             "repository", True),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/collaborators/(?P<c>[^/]+)/permission",
             self.collaborator_permission, "repository", False),
            ("GET", r"/orgs/(?P<org>[^/]+)/teams", self.list_org_teams, "organization", False),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/teams/(?P<team>[^/]+)", self.repo_team, "repository", False),
            ("PUT", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/teams/(?P<team>[^/]+)", self.add_repo_team, "repository",
             True),
            ("PUT", r"/teams/(?P<id>\d+)/members/(?P<u>[^/]+)", self.add_team_member, "organization", True),
            ("POST", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/statuses/(?P<sha>[^/]+)", self.create_status, "repository",
             True),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/commits/(?P<ref>.+)/status", self.combined_status,
             "repository", False),
            ("GET", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/hooks", self.list_hooks, "repository", False),
            ("POST", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/hooks", self.create_hook, "repository", True),
            ("DELETE", r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/hooks/(?P<id>\d+)", self.delete_hook, "repository", True),
        ]
        path_matched = False
        for route_method, pattern, handler, category, write in routes:
            match = re.fullmatch(pattern, path)
            if not match:
                continue
            path_matched = True
            if route_method != method:
                continue
            entry = self.authenticate(query)
            self.require_scope(entry, category, write)
            if handler == self.create_user_repo:
                self.require_scope(entry, "user", True)
            body = {}
            if raw_body and method in ("POST", "PATCH", "PUT", "DELETE"):
                try:
                    body = json.loads(raw_body)
                except ValueError:
                    raise ApiError(422, "invalid JSON body")
                if not isinstance(body, dict):
                    raise ApiError(422, "invalid JSON body")
            with state.lock:
                self.login = entry["login"]
                handler(entry["login"], match.groupdict(), query, body)
            return
        if path_matched:
            raise ApiError(405, "method not allowed")
        raise ApiError(404)

    # helpers

    def load_repo(self, args):
        """The repository of the path, or Gitea's 404 when it is missing or the caller cannot see it.

        repoAssignment (routers/api/v1/api.go) answers NotFound when the doer has no access at all, so a private
        repository is indistinguishable from a missing one.
        """
        repo = self.state.find_repo(args["o"], args["r"])
        if repo is None or self.state.access_mode(repo, getattr(self, "login", None)) < READ:
            raise ApiError(404, errors=["repository does not exist [id: 0, uid: 0, owner_name: %s, name: %s]"
                                        % (args["o"], args["r"])])
        return repo

    def load_pr(self, args):
        repo = self.load_repo(args)
        pr = self.state.pr_by_number(repo, int(args["n"]))
        if pr is None:
            raise ApiError(404, errors=["pull request does not exist [id: 0, issue_id: %s, head_repo_id: 0, "
                                        "base_repo_id: 0, head_branch: , base_branch: ]" % args["n"]])
        return repo, pr

    def page_args(self, query):
        def number(name, default):
            try:
                return int(query.get(name, [str(default)])[0])
            except ValueError:
                return default
        page = max(1, number("page", 1))
        limit = number("limit", DEFAULT_PAGE_SIZE)
        if limit <= 0:
            limit = DEFAULT_PAGE_SIZE
        return page, min(limit, MAX_PAGE_SIZE)

    def link_header(self, path, query, page, limit, total):
        last = max(1, (total + limit - 1) // limit)
        base = self.state.root_url + "api/v1" + path

        def url(p):
            q = {k: v[0] for k, v in query.items()}
            q["page"] = str(p)
            q["limit"] = str(limit)
            return "<%s?%s>" % (base, urllib.parse.urlencode(sorted(q.items())))

        links = []
        if page < last:
            links += ['%s; rel="next"' % url(page + 1), '%s; rel="last"' % url(last)]
        if page > 1:
            links += ['%s; rel="first"' % url(1), '%s; rel="prev"' % url(page - 1)]
        return ",".join(links)

    def paged_headers(self, total, link=None):
        headers = [("X-Total-Count", str(total))]
        exposed = "X-Total-Count"
        if link:
            headers.append(("Link", link))
            exposed = "Link, X-Total-Count"
        headers.append(("Access-Control-Expose-Headers", exposed))
        return headers

    # handlers (called with the state lock held)

    def get_user(self, login, args, query, body):
        self.send(200, self.state.user_json(self.state.user(login)))

    def create_user_repo(self, login, args, query, body):
        body["_creator"] = login
        repo = self.state.create_repo(login.lower(), body)
        self.send(201, self.state.repo_json(repo, login))

    def create_org_repo(self, login, args, query, body):
        org = self.state.orgs.get(args["org"].lower())
        if org is None:
            raise ApiError(404, errors=["user redirect does not exist [name: %s]" % args["org"]])
        user = self.state.user(login)
        creators = [t for t in org["teams"].values() if t["can_create_org_repo"] and login.lower() in t["members"]]
        if login.lower() not in org["members"] and not creators and not user["is_admin"]:
            raise ApiError(403, "User is not allowed to create repositories in this organization.")
        body["_creator"] = login
        repo = self.state.create_repo(args["org"].lower(), body)
        self.send(201, self.state.repo_json(repo, login))

    def get_repo(self, login, args, query, body):
        self.send(200, self.state.repo_json(self.load_repo(args), login))

    def list_prs(self, login, args, query, body):
        repo = self.load_repo(args)
        wanted = query.get("state", ["open"])[0]
        items = [pr for pr in self.state.prs_of(repo) if wanted == "all" or pr["state"] == wanted]
        if "base_branch" in query:
            items = [pr for pr in items if pr["base"] == query["base_branch"][0]]
        sort = query.get("sort", [""])[0]
        items.sort(key=lambda pr: pr["id"], reverse=sort != "oldest")
        page, limit = self.page_args(query)
        total = len(items)
        chunk = items[(page - 1) * limit:page * limit]
        link = self.link_header("/repos/%s/%s/pulls" % (args["o"], args["r"]), query, page, limit, total)
        self.send(200, [self.state.pr_json(repo, pr) for pr in chunk], headers=self.paged_headers(total, link))

    def create_pr(self, login, args, query, body):
        state = self.state
        repo = self.load_repo(args)
        for field, key in (("Head", "head"), ("Base", "base"), ("Title", "title")):
            if not isinstance(body.get(key), str) or not body.get(key):
                raise ApiError(422, "[%s]: Required" % field)
        head = body["head"]
        if ":" in head:
            head_owner, _, head = head.partition(":")
            if head_owner.split("/")[0].lower() != repo["owner"].lower():
                raise ApiError(404, errors=["forks are not supported by this server"])
        base = body["base"]
        if head == base:
            raise ApiError(422, "Invalid PullRequest: There are no changes between the head and the base")
        path = state.repo_path(repo)
        base_sha = state.git.ref(path, "refs/heads/" + base)
        head_sha = state.git.ref(path, "refs/heads/" + head)
        if base_sha is None or head_sha is None:
            raise ApiError(404)
        reviewers = body.get("reviewers") or []
        for name in reviewers:
            if state.user(name) is None:
                raise ApiError(404, "user doesn't exist: %s" % name)
        for pr in state.prs_of(repo):
            if pr["state"] == "open" and not pr["merged"] and pr["head"] == head and pr["base"] == base:
                raise ApiError(409, "pull request already exists for these targets [id: %d, issue_id: %d, "
                                    "head_repo_id: %d, base_repo_id: %d, head_branch: %s, base_branch: %s]"
                               % (pr["id"], pr["number"], repo["id"], repo["id"], head, base))
        stamp = now_unix()
        number = repo["next_index"]
        repo["next_index"] += 1
        pr = {
            "id": state.new_id("pr"), "repo_key": state.repo_key(repo), "number": number, "poster": login,
            "title": body["title"], "body": body.get("body") or "", "state": "open", "head": head, "base": base,
            "head_sha": head_sha, "merge_base": state.git.merge_base(path, base_sha, head_sha), "merged": False,
            "merged_at": None, "merged_by": None, "merge_commit_sha": None, "created": stamp, "updated": stamp,
            "closed_at": None, "head_deleted": False, "content_version": 0,
        }
        state.prs[pr["id"]] = pr
        state.start_merge_check(pr)  # services/pull/pull.go NewPullRequest queues the check
        state.git.run(path, "update-ref", "refs/pull/%d/head" % number, head_sha)
        for name in reviewers:
            if self.review_request_error(repo, pr, login, state.user(name)) is not None:
                # Gitea adds review requests after inserting the PR, so this 500 leaves the PR created.
                raise ApiError(500, "")
            state.add_review_request(repo, pr, name)
        self.send(201, state.pr_json(repo, pr))

    def get_pr(self, login, args, query, body):
        repo, pr = self.load_pr(args)
        if pr.get("checking_reads", 0) > 0:
            pr["checking_reads"] -= 1
        self.send(200, self.state.pr_json(repo, pr))

    def get_pr_by_base_head(self, login, args, query, body):
        repo = self.load_repo(args)
        head = urllib.parse.unquote(args["head"])
        base = urllib.parse.unquote(args["base"])
        if ":" in head:
            head_owner, _, head = head.partition(":")
            if head_owner.split("/")[0].lower() != repo["owner"].lower():
                raise ApiError(404)
        for pr in self.state.prs_of(repo):  # the first match by id, whatever its state, as Gitea's query does
            if pr["head"] == head and pr["base"] == base:
                self.send(200, self.state.pr_json(repo, pr))
                return
        raise ApiError(404)

    def edit_pr(self, login, args, query, body):
        state = self.state
        repo, pr = self.load_pr(args)
        if login.lower() != pr["poster"].lower() and state.access_mode(repo, login) < WRITE:
            # EditPullRequest (routers/api/v1/repo/pull.go): neither the poster nor a writer, a bare 403.
            raise ApiError(403, raw=b"")
        # EditPullRequest changes the title and body before it looks at the state, so they stay when the state
        # is refused below.
        if body.get("title"):
            pr["title"] = body["title"]
        if "body" in body and body["body"] is not None:
            pr["body"] = body["body"]
            pr["content_version"] += 1
        if body.get("state") is not None:
            if pr["merged"]:
                # `if form.State != nil { if pr.HasMerged { 412 } }`: any state, "closed" included, whatever
                # the merged pull request's state already is.
                raise ApiError(412, "cannot change state of this pull request, it was already merged")
            if body["state"] == "closed" and pr["state"] != "closed":
                state.close_pr(pr, login)
            elif body["state"] == "open" and pr["state"] != "open":
                for other in state.prs_of(repo):
                    if other is not pr and other["state"] == "open" and other["head"] == pr["head"] \
                            and other["base"] == pr["base"]:
                        raise ApiError(409, "pull request already exists for these targets")
                if pr["head_deleted"]:
                    raise ApiError(404)
                pr["state"] = "open"
                pr["closed_at"] = None
                state.start_merge_check(pr)
        pr["updated"] = now_unix()
        self.send(201, state.pr_json(repo, pr))

    def is_merged(self, login, args, query, body):
        _, pr = self.load_pr(args)
        if pr["merged"]:
            self.send(204)
        else:
            raise ApiError(404)

    def merge_pr(self, login, args, query, body):
        state = self.state
        repo, pr = self.load_pr(args)
        fields = {key.lower().replace("_", ""): value for key, value in body.items()}
        style = fields.get("do")
        if not style:
            raise ApiError(422, "[Do]: Required")
        if style not in MERGE_STYLES:
            raise ApiError(422, "[Do]: In")
        if pr["merged"]:
            # routers/api/v1/repo/pull.go MergePullRequest, ErrHasMerged: up to 1.24
            # ctx.Error(405, "PR already merged", "") sends an empty message; from 1.25 this text.
            if version_tuple(state.version) < (1, 25, 0):
                raise ApiError(405, "")
            raise ApiError(405, "The PR is already merged")
        if pr["state"] != "open":
            raise ApiError(404)
        if state.access_mode(repo, login) < WRITE:
            # IsUserAllowedToMerge (services/pull/check.go CheckPullMergeable): code write, no branch protection.
            raise ApiError(405, "User not allowed to merge PR")
        if pr["title"].startswith(("WIP:", "[WIP]")):
            raise ApiError(405, "Work in progress PRs cannot be merged")
        if state.move_on_merge:
            # The `move_on_merge` fault: someone pushes to the head branch between the verdict and this merge,
            # so the pull request is checking again and, once checked, the approved head is out of date.
            push = state.move_on_merge.pop(0)
            commit_files_impl(state, {"owner": repo["owner"], "name": repo["name"], "branch": pr["head"],
                                      "files": push.get("files") or {"late.md": "pushed before the merge\n"},
                                      "author": push.get("author"), "message": push.get("message")})
        if state.merge_busy > 0:
            state.merge_busy -= 1
            raise ApiError(405, "Please try again later")
        if not state.mergeable(repo, pr):
            # CheckPullMergeable: ErrNotMergeableState / ErrIsChecking, both this answer.
            raise ApiError(405, "Please try again later")
        expected = fields.get("headcommitid") or ""
        if expected and expected != pr["head_sha"]:
            raise ApiError(409, "head out of date")
        if style not in ("squash", "merge"):
            raise ApiError(405, "%s is not allowed an allowed merge style for this repository" % style)
        path = state.repo_path(repo)
        poster = state.user(pr["poster"])
        doer = state.user(login)
        title = (fields.get("mergetitlefield") or "").strip()
        message = (fields.get("mergemessagefield") or "").strip()
        with state.git_lock:
            base_sha = state.git.ref(path, "refs/heads/" + pr["base"])
            tree = state.git.merge_tree(path, base_sha, pr["head_sha"])
            if tree is None:
                raise ApiError(409, raw={"Style": style, "StdOut": "", "StdErr": "CONFLICT", "Err": {}})
            if style == "squash":
                title = title or "%s (#%d)" % (pr["title"], pr["number"])
                text = title + ("\n\n" + message if message else "") + "\n"
                if doer["login"] != poster["login"]:
                    signature = "%s <%s>" % (poster["login"], poster["email"])
                    text += "\nCo-authored-by: %s\nCo-committed-by: %s\n" % (signature, signature)
                parents = ["-p", base_sha]
                env = state.signature_env(poster, doer)
            else:
                title = title or "Merge pull request '%s' (#%d) from %s into %s" % (
                    pr["title"], pr["number"], pr["head"], pr["base"])
                text = title + ("\n\n" + message if message else "") + "\n"
                parents = ["-p", base_sha, "-p", pr["head_sha"]]
                env = state.signature_env(doer, doer)
            commit = state.git.out(path, "commit-tree", tree, *parents, "-F", "-", input=text.encode(), env=env)
            state.git.run(path, "update-ref", "refs/heads/" + pr["base"], commit, base_sha)
        stamp = now_unix()
        pr.update({"merged": True, "merged_at": stamp, "merged_by": login, "merge_commit_sha": commit,
                   "state": "closed", "closed_at": stamp, "updated": stamp})
        with state.git_lock:
            state.branch_updated(repo, pr["base"], base_sha, commit)  # the merge is a push to the base
        delete = fields.get("deletebranchaftermerge")
        if delete is None:
            delete = repo["default_delete_branch_after_merge"]
        if delete and pr["head"] != repo["default_branch"]:
            with state.git_lock:
                old = state.git.ref(path, "refs/heads/" + pr["head"])
                if old is not None:
                    state.git.run(path, "update-ref", "-d", "refs/heads/" + pr["head"], old)
                    state.branch_updated(repo, pr["head"], old, None)
            pr["head_deleted"] = True
        self.send(200)

    def review_request_error(self, repo, pr, doer, reviewer):
        """Why Gitea refuses to ask `reviewer` for a review, or None (services/issue/review_request.go
        isValidReviewRequest, in its order). The error's user_id is the doer's, as in Gitea."""
        state = self.state
        suffix = " [user_id: %d, repo_id: %d]" % (state.user(doer)["id"], repo["id"])
        if state.access_mode(repo, reviewer["login"]) < READ:
            return "Reviewer can't read" + suffix
        if reviewer["login"].lower() == pr["poster"].lower():
            return "poster of pr can't be reviewer" + suffix
        if not self.can_change_review_requests(repo, pr, doer):
            latest = [r for r in state.reviews_of(pr) if r["reviewer"].lower() == reviewer["login"].lower()]
            if not (doer.lower() == reviewer["login"].lower() and latest and latest[-1]["type"] == "APPROVED"):
                return "Doer can't choose reviewer" + suffix
        return None

    def can_change_review_requests(self, repo, pr, doer):
        """CanDoerChangeReviewRequests: the poster, the owner, a collaborator, or a member of a team holding it."""
        state = self.state
        key = doer.lower()
        if key in (pr["poster"].lower(), repo["owner_key"]) or key in repo["collaborators"]:
            return True
        org = state.orgs.get(repo["owner_key"])
        return bool(org and (key in org["members"] or any(
            key in t["members"] and (t["includes_all"] or state.repo_key(repo) in t["repos"])
            for t in org["teams"].values())))

    def request_reviewers(self, login, args, query, body):
        state = self.state
        repo, pr = self.load_pr(args)
        if pr["state"] != "open":
            raise ApiError(403, "pull request is closed")
        users = []
        for name in body.get("reviewers") or []:
            user = state.user(name)
            if user is None:
                raise ApiError(404, "user doesn't exist: %s" % name)
            refusal = self.review_request_error(repo, pr, login, user)
            if refusal is not None:
                raise ApiError(422, refusal)
            users.append(user)
        created = []
        for user in users:
            # AddReviewRequest: skipped when the reviewer's latest review by id among APPROVED, REQUEST_CHANGES and
            # REQUEST_REVIEW (GetReviewByIssueIDAndUserID; COMMENT is not one) is already a request.
            latest = sorted((r for r in state.reviews_of(pr) if r["reviewer"].lower() == user["login"].lower()
                             and r["type"] in ("APPROVED", "REQUEST_CHANGES", "REQUEST_REVIEW")),
                            key=lambda r: r["id"])
            if latest and latest[-1]["type"] == "REQUEST_REVIEW":
                continue
            created.append(state.add_review_request(repo, pr, user["login"]))
        self.send(201, [state.review_json(repo, pr, r) for r in created])

    def cancel_review_requests(self, login, args, query, body):
        state = self.state
        repo, pr = self.load_pr(args)
        for name in body.get("reviewers") or []:
            if state.user(name) is None:
                raise ApiError(404, "user doesn't exist: %s" % name)
            for review in state.reviews_of(pr):
                if review["reviewer"].lower() == name.lower() and review["type"] == "REQUEST_REVIEW":
                    del state.reviews[review["id"]]
        self.send(204)

    def list_reviews(self, login, args, query, body):
        state = self.state
        repo, pr = self.load_pr(args)
        items = state.reviews_of(pr)
        page, limit = self.page_args(query)
        chunk = items[(page - 1) * limit:page * limit]
        # As in Gitea, other users' pending reviews are dropped after paging, so a page can be short.
        visible = [r for r in chunk if r["type"] != "PENDING" or r["reviewer"].lower() == login.lower()]
        self.send(200, [state.review_json(repo, pr, r) for r in visible], headers=self.paged_headers(len(items)))

    def find_review(self, pr, args, login):
        review = self.state.reviews.get(int(args["id"]))
        if review is None or review["pr_id"] != pr["id"]:
            raise ApiError(404)
        if review["type"] == "PENDING" and review["reviewer"].lower() != login.lower():
            raise ApiError(404)
        return review

    def get_review(self, login, args, query, body):
        repo, pr = self.load_pr(args)
        self.send(200, self.state.review_json(repo, pr, self.find_review(pr, args, login)))

    def list_review_comments(self, login, args, query, body):
        state = self.state
        repo, pr = self.load_pr(args)
        review = self.find_review(pr, args, login)
        items = [c for c in state.comments.values() if c.get("review_id") == review["id"]]
        # Gitea builds this list from a map, so the order is unspecified; emulate that by path, then line.
        items.sort(key=lambda c: (c["path"], -(c["position"] or c["original_position"]), c["id"]))
        self.send(200, [state.review_comment_json(repo, pr, c) for c in items])

    def review_type(self, pr, login, event, text, has_comments):
        """preparePullReviewType (routers/api/v1/repo/pull_review.go): the review type of `event`, or a 422."""
        given = event or ""
        event = given.upper()
        if event not in ("APPROVED", "REQUEST_CHANGES", "COMMENT"):
            # Anything else is a pending review, which needs a body like a change request.
            if not text:
                raise ApiError(422, "review event %s requires a body" % given)
            return "PENDING"
        is_poster = login.lower() == pr["poster"].lower()
        if event == "APPROVED" and is_poster:
            raise ApiError(422, "approve your own pull is not allowed")
        if event == "REQUEST_CHANGES" and is_poster:
            raise ApiError(422, "reject your own pull is not allowed")
        if event == "REQUEST_CHANGES" and not text:
            raise ApiError(422, "review event REQUEST_CHANGES requires a body")
        if event == "COMMENT" and not text and not has_comments:
            raise ApiError(422, "review event COMMENT requires a body or a comment")
        return event

    def pending_review(self, pr, login):
        """GetCurrentReview: the user's pending review of the pull request, or None."""
        for review in self.state.reviews_of(pr):
            if review["type"] == "PENDING" and review["reviewer"].lower() == login.lower():
                return review
        return None

    def add_code_comment(self, repo, pr, review, item, commit_id):
        """CreateCodeComment (services/pull/review.go) into `review`. A path the commit lacks, or a line past its
        end, is no error: Gitea's blame answers "no such path" / "has only N lines", which it lets pass, and the
        diff of a file the pull request does not touch is empty (tests/integration/api_pull_review_test.go posts
        comments on files the pull request does not change). The stored line is the old one when given."""
        state = self.state
        file_path = item.get("path") or ""
        new_line = int(item.get("new_position") or 0)
        old_line = int(item.get("old_position") or 0)
        if old_line > 0:
            new_line = 0
        side_commit = commit_id if old_line <= 0 else (pr["merge_base"] or commit_id)
        lines = state.git.file_lines(state.repo_path(repo), side_commit, file_path) or []
        line = new_line or old_line
        hunk = ""
        if 0 < line <= len(lines):
            start = max(1, line - 3)
            hunk_lines = lines[start - 1:line]
            sign = "+" if new_line > 0 else "-"
            hunk = "@@ -%d,%d +%d,%d @@\n" % (start, len(hunk_lines), start, len(hunk_lines)) + "\n".join(
                sign + text_line for text_line in hunk_lines)
        stamp = now_unix()
        comment = {"id": state.new_id("comment"), "kind": "review", "pr_id": pr["id"], "review_id": review["id"],
                   "user": review["reviewer"], "body": item.get("body") or "", "path": file_path,
                   "position": new_line, "original_position": old_line, "commit_id": commit_id,
                   "diff_hunk": hunk, "created": stamp, "updated": stamp}
        state.comments[comment["id"]] = comment

    def submit_review(self, repo, pr, login, kind, text, commit_id):
        """SubmitReview (services/pull/review.go and models/issues/review.go): the user's pending review becomes
        the submitted one, keeping its id; without one a review is created."""
        state = self.state
        if kind in ("APPROVED", "REQUEST_CHANGES") and pr["state"] != "open":
            # ErrSubmitReviewOnClosedPR, checked for verdicts only: a comment review on a closed (or merged) pull
            # request is allowed.
            raise ApiError(422, "can't submit review for a closed or merged PR")
        stale = kind in ("APPROVED", "REQUEST_CHANGES") and commit_id != pr["head_sha"]
        official = False
        reviewer = state.user(login)["login"]
        if kind in ("APPROVED", "REQUEST_CHANGES"):
            # "Only reviewers latest review of type approve and reject shall count as official": every older
            # review of the user's stops being official, whatever this one is.
            state.clear_official(pr, login)
            official = state.is_official_reviewer(repo, login)
        review = self.pending_review(pr, login)
        if review is None:
            if kind != "APPROVED" and not text:
                raise ApiError(500, "Review content is empty")
            state.clear_review_requests(pr, login, kind)
            if kind in ("APPROVED", "REQUEST_CHANGES"):
                # CreateReview: "make sure if the created review gets dismissed no old review surface" (gitea
                # issue #28542, TestAPIPullReviewStayDismissed): the user's older verdicts are dismissed.
                for other in state.reviews_of(pr):
                    if other["reviewer"].lower() == login.lower() and other["type"] in ("APPROVED", "REQUEST_CHANGES"):
                        other["dismissed"] = True
            review = state.add_review(pr, reviewer, kind, text, commit_id, official, stale=stale)
        else:
            has_code = any(c.get("review_id") == review["id"] for c in state.comments.values())
            if kind != "APPROVED" and not has_code and not text:
                raise ApiError(500, "Review content is empty")
            if version_tuple(state.version) >= (1, 27):
                # go-gitea/gitea#37809 (issue #37808): a submitted pending review clears the user's review request
                # as a created one does; before it the request row stayed. It reached the 1.26 branch as #37815 in
                # an unknown patch release, so the stand-in keeps the older, harsher behaviour for every 1.26.
                state.clear_review_requests(pr, login, kind)
            review.update({"type": kind, "body": text, "commit_id": commit_id, "stale": stale, "official": official,
                           "updated": now_unix()})
        pr["updated"] = now_unix()
        if kind != "PENDING":
            state.deliver_review_hooks(repo, pr, review)
        return review

    def create_review(self, login, args, query, body):
        state = self.state
        repo, pr = self.load_pr(args)
        text = (body.get("body") or "").strip()
        comments = body.get("comments") or []
        kind = self.review_type(pr, login, body.get("event"), text, bool(comments))
        commit_id = body.get("commit_id") or pr["head_sha"]
        if comments:
            # CreatePullReview: each comment goes into the user's pending review (created when there is none)
            # before the review is submitted, so the comments stay in it when the submission is refused.
            pending = self.pending_review(pr, login)
            if pending is None:
                pending = state.add_review(pr, state.user(login)["login"], "PENDING", "", commit_id, False)
            for item in comments:
                self.add_code_comment(repo, pr, pending, item, commit_id)
        review = self.submit_review(repo, pr, login, kind, text, commit_id)
        self.send(200, state.review_json(repo, pr, review))

    def submit_pending_review(self, login, args, query, body):
        """SubmitPullReview (POST …/reviews/{id}): only a pending review; the verdict's comments are the review's
        own, but the handler passes `len(review.Comments)`, which it never loads, so a COMMENT needs a body."""
        state = self.state
        repo, pr = self.load_pr(args)
        review = self.find_review(pr, args, login)
        if review["type"] != "PENDING":
            raise ApiError(422, "only a pending review can be submitted")
        text = (body.get("body") or "").strip()
        kind = self.review_type(pr, login, body.get("event"), text, False)
        if kind == "PENDING":
            raise ApiError(422, "review stay pending")
        review = self.submit_review(repo, pr, review["reviewer"], kind, text, pr["head_sha"])
        self.send(200, state.review_json(repo, pr, review))

    def dismiss_review(self, login, args, query, body):
        state = self.state
        repo, pr = self.load_pr(args)
        review = self.find_review(pr, args, login)
        if not state.is_repo_admin(repo, login):
            raise ApiError(403, "Must be repo admin")
        if review["type"] not in ("APPROVED", "REQUEST_CHANGES"):
            raise ApiError(403, "not need to dismiss this review because it's type is not Approve or change request")
        if pr["state"] != "open":
            raise ApiError(403, "not need to dismiss this review because the pr is closed")
        review["dismissed"] = True
        review["updated"] = now_unix()
        if body.get("priors"):
            for other in state.reviews_of(pr):
                if other["reviewer"] == review["reviewer"] and other["id"] < review["id"] \
                        and other["type"] in ("APPROVED", "REQUEST_CHANGES"):
                    other["dismissed"] = True
        self.send(200, state.review_json(repo, pr, review))

    def issue_pr(self, args):
        repo = self.load_repo(args)
        pr = self.state.pr_by_number(repo, int(args["n"]))
        if pr is None:
            # A long-standing Gitea quirk: an unknown index on the comments endpoints is a 500, not a 404.
            raise ApiError(500, "")
        return repo, pr

    def list_issue_comments(self, login, args, query, body):
        state = self.state
        repo, pr = self.issue_pr(args)
        items = sorted((c for c in state.comments.values() if c["pr_id"] == pr["id"] and c["kind"] == "comment"),
                       key=lambda c: (c["created"], c["id"]))
        if "since" in query and query["since"][0]:
            since = parse_time(query["since"][0])
            items = [c for c in items if c["updated"] >= since]
        if "before" in query and query["before"][0]:
            before = parse_time(query["before"][0])
            items = [c for c in items if c["updated"] < before]
        self.send(200, [state.comment_json(repo, pr, c) for c in items], headers=self.paged_headers(len(items)))

    def create_issue_comment(self, login, args, query, body):
        state = self.state
        repo, pr = self.issue_pr(args)
        if not isinstance(body.get("body"), str) or not body["body"]:
            raise ApiError(422, "[Body]: Required")
        stamp = now_unix()
        comment = {"id": state.new_id("comment"), "kind": "comment", "pr_id": pr["id"], "user": login,
                   "body": body["body"], "created": stamp, "updated": stamp}
        state.comments[comment["id"]] = comment
        pr["updated"] = stamp
        self.send(201, state.comment_json(repo, pr, comment))

    def delete_branch(self, login, args, query, body):
        state = self.state
        repo = self.load_repo(args)
        if state.access_mode(repo, login) < WRITE:
            raise ApiError(403, NOT_REPO_WRITER)  # reqRepoWriter(unit.TypeCode) on DELETE /branches/*
        branch = urllib.parse.unquote(args["branch"])
        if branch == repo["default_branch"]:
            raise ApiError(403, "can not delete default branch")
        path = state.repo_path(repo)
        with state.git_lock:
            old = state.git.ref(path, "refs/heads/" + branch)
            if old is None:
                raise ApiError(404, errors=["branch does not exist [name: %s]" % branch])
            state.git.run(path, "update-ref", "-d", "refs/heads/" + branch, old)
            state.branch_updated(repo, branch, old, None)
        for pr in state.prs_of(repo):
            if pr["head"] == branch:
                pr["head_deleted"] = True
        self.send(204)


    # ---- commit statuses (routers/api/v1/repo/status.go; services/repository/files/commit.go CreateCommitStatus;
    # models/git/commit_status.go NewCommitStatus and GetLatestCommitStatus; modules/commitstatus Combine)

    def status_json(self, repo, status):
        full = "%s/%s" % (repo["owner"], repo["name"])
        return {
            "id": status["index"], "status": status["state"], "target_url": status["target_url"],
            "description": status["description"],
            "url": self.state.root_url + "api/v1/repos/" + full + "/statuses/" + status["sha"],
            "context": status["context"], "creator": self.state.user_json(self.state.user(status["creator"])),
            "created_at": rfc3339(status["created"]), "updated_at": rfc3339(status["created"]),
        }

    def create_status(self, login, args, query, body):
        state = self.state
        repo = self.load_repo(args)
        # reqRepoWriter(unit.TypeCode) on POST /statuses/{sha} (routers/api/v1/api.go): readers get a 403.
        if state.access_mode(repo, login) < WRITE:
            raise ApiError(403, NOT_REPO_WRITER)
        wanted = body.get("state", "")
        allowed = list(STATUS_STATES) + (["skipped"] if version_tuple(state.version) >= (1, 25, 0) else [])
        if wanted not in allowed:
            # Stricter than Gitea, which stores any text it is sent (CreateStatusOption has no binding rule): a
            # client must never send a state outside the enum of swagger's CreateStatusOption for this version.
            raise ApiError(422, "state must be one of %s, not %r" % (", ".join(allowed), wanted))
        sha = urllib.parse.unquote(args["sha"])
        path = state.repo_path(repo)
        with state.git_lock:
            full = state.git.ref(path, sha) if re.fullmatch(r"[0-9a-fA-F]{4,40}", sha) else None
        if full is None:
            # CreateCommitStatus: gitRepo.GetCommit fails and NewCommitStatus answers it as an internal error.
            raise ApiError(500, "GetCommit[%s]: object does not exist [id: %s, rel_path: ]" % (sha, sha))
        key = (self.state.repo_key(repo), full)
        rows = state.statuses.setdefault(key, [])
        # NewCommitStatus trims every text and numbers the statuses of one commit from 1.
        status = {
            "index": len(rows) + 1, "sha": full, "state": wanted,
            "context": str(body.get("context", "")).strip(),
            "description": str(body.get("description", "")).strip(),
            "target_url": str(body.get("target_url", "")).strip(),
            "creator": login, "created": now_unix(),
        }
        rows.append(status)
        self.send(201, self.status_json(repo, status))

    def combined_status(self, login, args, query, body):
        state = self.state
        repo = self.load_repo(args)
        ref = urllib.parse.unquote(args["ref"])
        path = state.repo_path(repo)
        # utils.ResolveRefOrSha: a branch, then a tag, else the text is taken as a commit id.
        with state.git_lock:
            sha = (state.git.ref(path, "refs/heads/" + ref) or state.git.ref(path, "refs/tags/" + ref)
                   or (state.git.ref(path, ref) if re.fullmatch(r"[0-9a-fA-F]{4,40}", ref) else None) or ref)
        rows = state.statuses.get((self.state.repo_key(repo), sha), [])
        # GetLatestCommitStatus: the newest row of each context, newest first, then paged.
        latest = {}
        for row in rows:
            latest[row["context"]] = row
        ordered = sorted(latest.values(), key=lambda row: row["index"], reverse=True)
        page, limit = self.page_args(query)
        shown = ordered[(page - 1) * limit:page * limit]
        if not shown:
            # GetCombinedCommitStatusByRef answers an empty api.CombinedStatus when the page has no status.
            self.send(200, {"state": "", "sha": "", "total_count": 0, "statuses": None, "repository": None,
                            "commit_url": "", "url": ""})
            return
        full = "%s/%s" % (repo["owner"], repo["name"])
        repo_json = state.repo_json(repo, login)
        # convert.ToCombinedStatus combines the statuses of the page (CalcCommitStatus over them, not all pages).
        self.send(200, {
            "state": combine_states([row["state"] for row in shown]), "sha": sha, "total_count": len(shown),
            "statuses": [self.status_json(repo, row) for row in shown], "repository": repo_json,
            "commit_url": state.root_url + "api/v1/repos/" + full + "/commits/" + sha,
            "url": state.root_url + "api/v1/repos/" + full + "/commits/" + sha + "/status",
        }, headers=self.paged_headers(len(ordered)))

    # ---- collaborators (routers/api/v1/repo/collaborators.go; routes and checks in routers/api/v1/api.go)

    def collaborator_user(self, args, status=422):
        """The path's user; Gitea answers an unknown one 422 (404 on /permission) with ErrUserNotExist's text."""
        name = urllib.parse.unquote(args["c"])
        user = self.state.user(name)
        if user is None:
            raise ApiError(status, "user does not exist [uid: 0, name: %s]" % name)
        return user

    def list_collaborators(self, login, args, query, body):
        state = self.state
        repo = self.load_repo(args)
        users = sorted((state.users[k] for k in repo["collaborators"] if k in state.users), key=lambda u: u["id"])
        page, limit = self.page_args(query)
        chunk = users[(page - 1) * limit:page * limit]
        self.send(200, [state.user_json(u) for u in chunk], headers=self.paged_headers(len(users)))

    def is_collaborator(self, login, args, query, body):
        repo = self.load_repo(args)
        user = self.collaborator_user(args)
        if user["login"].lower() not in repo["collaborators"]:
            raise ApiError(404)
        self.send(204)

    def add_collaborator(self, login, args, query, body):
        repo = self.load_repo(args)
        self.require_repo_admin(repo, login)
        user = self.collaborator_user(args)
        permission = body.get("permission")
        if permission is None:
            permission = "write"  # AddOrUpdateCollaborator: no permission means write
        if permission not in ("read", "write", "admin"):
            # perm.ParseAccessMode gives none, which repo_service.AddOrUpdateCollaborator refuses: a 500.
            raise ApiError(500, "")
        repo["collaborators"][user["login"].lower()] = permission
        self.send(204)

    def delete_collaborator(self, login, args, query, body):
        repo = self.load_repo(args)
        self.require_repo_admin(repo, login)
        user = self.collaborator_user(args)
        repo["collaborators"].pop(user["login"].lower(), None)
        self.send(204)

    def collaborator_permission(self, login, args, query, body):
        state = self.state
        repo = self.load_repo(args)
        name = urllib.parse.unquote(args["c"])
        doer = state.user(login)
        if not doer["is_admin"] and name.lower() != login.lower() and not state.is_repo_admin(repo, login):
            raise ApiError(403, "Only admins can query all permissions, repo admins can query all repo permissions, "
                                "collaborators can query only their own")
        user = self.collaborator_user(args, status=404)
        mode = ACCESS_MODES[state.access_mode(repo, user["login"])]
        self.send(200, {"permission": mode, "role_name": mode, "user": state.user_json(user)})

    # ---- webhooks

    def require_repo_admin(self, repo, login):
        """reqAdmin (routers/api/v1/api.go): a repository admin (owner, admin collaborator or team) or site admin."""
        if not self.state.is_repo_admin(repo, login):
            raise ApiError(403, NOT_REPO_ADMIN)

    # ---- organisation teams (routers/api/v1/org/team.go, routers/api/v1/repo/teams.go)

    def team_json(self, org, team):
        organization = {"id": org["id"], "name": org["name"], "username": org["name"], "full_name": org["name"],
                        "email": "", "avatar_url": "", "description": "", "website": "", "location": "",
                        "visibility": "public", "repo_admin_change_team_access": True}
        return {"id": team["id"], "name": team["name"], "description": "", "organization": organization,
                "includes_all_repositories": team["includes_all"], "permission": team["permission"],
            "units": ["repo.code", "repo.issues", "repo.pulls", "repo.releases", "repo.wiki"],
            "units_map": {u: team["permission"] for u in ("repo.code", "repo.issues", "repo.pulls", "repo.releases",
                                                          "repo.wiki")},
            "can_create_org_repo": team["can_create_org_repo"]}

    def org_role(self, org, login):
        """"owner" for the Owners team's members and site admins, "member" for any team's, else None."""
        user = self.state.user(login)
        key = login.lower()
        if (user and user["is_admin"]) or key in org["members"]:
            return "owner"
        if any(key in t["members"] for t in org["teams"].values()):
            return "member"
        return None

    def list_org_teams(self, login, args, query, body):
        """GET /orgs/{org}/teams: reqOrgMembership ("Must be an organization member"); paged, no Link header."""
        org = self.state.orgs.get(args["org"].lower())
        if org is None:
            raise ApiError(404)
        if self.org_role(org, login) is None:
            raise ApiError(403, "Must be an organization member")
        teams = sorted(org["teams"].values(), key=lambda t: t["id"])
        page, limit = self.page_args(query)
        chunk = teams[(page - 1) * limit:page * limit]
        self.send(200, [self.team_json(org, t) for t in chunk], headers=self.paged_headers(len(teams)))

    def repo_team_lookup(self, args):
        repo = self.load_repo(args)
        org = self.state.orgs.get(repo["owner_key"])
        if org is None:
            # changeRepoTeam / IsTeam: "repo is not owned by an organization".
            raise ApiError(405, "repo is not owned by an organization")
        team = org["teams"].get(args["team"].lower())
        if team is None:
            raise ApiError(404)
        return repo, org, team

    def repo_team(self, login, args, query, body):
        """GET /repos/{o}/{r}/teams/{team}: the team when it holds the repository, else 404."""
        repo, org, team = self.repo_team_lookup(args)
        if not (team["includes_all"] or self.state.repo_key(repo) in team["repos"]):
            raise ApiError(404)
        self.send(200, self.team_json(org, team))

    def add_repo_team(self, login, args, query, body):
        """PUT /repos/{o}/{r}/teams/{team} (reqAdmin): 204, or 422 when the team already holds it."""
        repo, org, team = self.repo_team_lookup(args)
        self.require_repo_admin(repo, login)
        key = self.state.repo_key(repo)
        if team["includes_all"] or key in team["repos"]:
            raise ApiError(422, "team '%s' is already added to repo" % team["name"])
        team["repos"].add(key)
        self.send(204)

    def add_team_member(self, login, args, query, body):
        """PUT /teams/{id}/members/{username}: reqTeamMembership, then reqOrgOwnership; 404 for an unknown user."""
        state = self.state
        found = [(org, t) for org in state.orgs.values() for t in org["teams"].values() if t["id"] == int(args["id"])]
        if not found:
            raise ApiError(404)
        org, team = found[0]
        role = self.org_role(org, login)
        if role != "owner" and login.lower() not in team["members"]:
            raise ApiError(403, "Must be a team member")
        if role != "owner":
            raise ApiError(403, "Must be an organization owner")
        user = state.user(args["u"])
        if user is None:
            raise ApiError(404)
        team["members"].add(user["login"].lower())
        self.send(204)

    def list_hooks(self, login, args, query, body):
        state = self.state
        repo = self.load_repo(args)
        self.require_repo_admin(repo, login)
        hooks = [h for h in sorted(state.hooks.values(), key=lambda h: h["id"]) if h["repo"] == state.repo_key(repo)]
        self.send(200, [state.hook_json(h) for h in hooks], headers=self.paged_headers(len(hooks)))

    def create_hook(self, login, args, query, body):
        state = self.state
        repo = self.load_repo(args)
        self.require_repo_admin(repo, login)
        if body.get("type") not in HOOK_TYPES:
            raise ApiError(422, "Invalid hook type")
        config = body.get("config")
        if not isinstance(config, dict) or not config.get("url"):
            raise ApiError(422, "Missing config option: url")
        if config.get("content_type") not in ("json", "form"):
            raise ApiError(422, "Invalid content type")
        stamp = now_unix()
        hook = {"id": state.new_id("hook"), "repo": state.repo_key(repo), "type": body["type"],
                "url": config["url"], "content_type": config["content_type"], "secret": config.get("secret") or "",
                "http_method": (config.get("http_method") or "post").lower(),
                "events": list(body.get("events") or ["push"]), "active": bool(body.get("active", False)),
                "branch_filter": body.get("branch_filter") or "",
                "authorization_header": body.get("authorization_header") or "", "created": stamp, "updated": stamp}
        state.hooks[hook["id"]] = hook
        self.send(201, state.hook_json(hook))

    def delete_hook(self, login, args, query, body):
        state = self.state
        repo = self.load_repo(args)
        self.require_repo_admin(repo, login)
        hook = state.hooks.get(int(args["id"]))
        if hook is None or hook["repo"] != state.repo_key(repo):
            raise ApiError(404)
        del state.hooks[hook["id"]]
        self.send(204)


class Server(ThreadingHTTPServer):
    """The HTTP server plus the control operations shared by `/_test/` and stdin."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state, verbose):
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = state
        self.verbose = verbose

    def commit_files(self, args):
        return commit_files_impl(self.state, args)

    def control(self, op, args):
        state = self.state
        with state.lock:
            if op == "users":
                user, token = state.create_user(args["login"], admin=args.get("admin", False),
                                                scopes=args.get("scopes"), full_name=args.get("full_name"),
                                                email=args.get("email"))
                return {"id": user["id"], "login": user["login"], "token": token}
            if op == "tokens":
                return {"token": state.create_token(args["login"], args.get("scopes") or ["all"])}
            if op == "orgs":
                name = args["name"]
                if name.lower() in state.orgs or name.lower() in state.users:
                    raise ApiError(422, "name already taken")
                state.orgs[name.lower()] = {"id": state.new_id("user"), "name": name, "created": now_unix(),
                                            "members": {m.lower() for m in args.get("members", [])}, "teams": {}}
                return {"name": name}
            if op == "teams":
                org = state.orgs.get(args["org"].lower())
                if org is None:
                    raise ApiError(404, "no such organisation")
                permission = args.get("permission", "read")
                if permission not in ("read", "write", "admin"):
                    raise ApiError(422, "permission is read, write or admin")
                repos = {(org["name"].lower(), r.lower()) for r in args.get("repos", [])}
                org["teams"][args["name"].lower()] = {
                    "id": state.new_id("team"), "name": args["name"], "permission": permission, "members": {m.lower() for m in args.get("members", [])},
                    "includes_all": bool(args.get("includes_all_repositories", False)), "repos": repos,
                    "can_create_org_repo": bool(args.get("can_create_org_repo", False))}
                return {"name": args["name"]}
            if op == "faults":
                if "merge_busy" in args:
                    state.merge_busy = int(args["merge_busy"])
                if "kind" in args:
                    fault = {"kind": args["kind"], "count": int(args.get("count", 1)),
                             "status": int(args.get("status", 502)), "path": args.get("path"),
                             "method": args.get("method"), "prefix": args.get("prefix"),
                             "retry_after": args.get("retry_after"), "delay": float(args.get("delay", 0)),
                             "early": bool(args.get("early", False))}
                    state.faults.append(fault)
                if "move_on_merge" in args:
                    state.move_on_merge.append(dict(args["move_on_merge"] or {}))
                if args.get("clear"):
                    state.faults = []
                    state.merge_busy = 0
                    state.move_on_merge = []
                return {"faults": [f for f in state.faults if f["count"] > 0], "merge_busy": state.merge_busy,
                        "move_on_merge": len(state.move_on_merge)}
            if op == "hooks/deliveries":
                if args.get("settled"):
                    # Every delivery started so far has finished (each has a 5 s timeout of its own).
                    state.deliveries_done.wait_for(lambda: state.deliveries_pending == 0, timeout=120)
                return {"deliveries": list(state.deliveries), "pending": state.deliveries_pending}
            if op == "mergeability":
                if "delay" in args:
                    state.merge_check_delay = max(0.0, float(args["delay"]))
                    # Checks under way end no later than the new delay allows, as a queue that got faster.
                    latest = time.monotonic() + state.merge_check_delay
                    for pr in state.prs.values():
                        pr["checked_at"] = min(pr.get("checked_at", 0), latest)
                if "reads" in args:
                    state.merge_check_reads = max(0, int(args["reads"]))
                return {"delay": state.merge_check_delay, "reads": state.merge_check_reads}
            if op == "version":
                state.version = args["version"]
                return {"version": state.version}
            if op == "requests":
                return {"count": len(state.log), "requests": list(state.log)}
            if op == "requests/reset":
                state.log = []
                return {"count": 0}
            if op == "commit":
                return {"sha": self.commit_files(args)}
            if op == "collaborators":
                # What the repository's owner does with PUT (or, without a permission, DELETE) /collaborators.
                repo = state.find_repo(args["owner"], args["name"])
                user = state.user(args["login"])
                if repo is None or user is None:
                    raise ApiError(404, "no such repository or user")
                if args.get("permission"):
                    if args["permission"] not in ("read", "write", "admin"):
                        raise ApiError(422, "permission is read, write or admin")
                    repo["collaborators"][user["login"].lower()] = args["permission"]
                else:
                    repo["collaborators"].pop(user["login"].lower(), None)
                return {"collaborators": dict(repo["collaborators"])}
            if op == "repos/settings":
                repo = state.find_repo(args["owner"], args["name"])
                if repo is None:
                    raise ApiError(404, "no such repository")
                if "default_delete_branch_after_merge" in args:
                    repo["default_delete_branch_after_merge"] = bool(args["default_delete_branch_after_merge"])
                return {"ok": True}
        raise ApiError(404, "unknown control operation: " + op)


def commit_files_impl(state, args):
    """Commits files onto a branch in a bare repository, as a push by `author` would, and returns the sha."""
    repo = state.find_repo(args["owner"], args["name"])
    if repo is None:
        raise ApiError(404, "no such repository")
    if args.get("author") and state.access_mode(repo, args["author"]) < WRITE:
        # As a push by that user: one who may not write is refused (see PRE_RECEIVE_HOOK).
        raise ApiError(403, "Gitea: User permission denied for writing. (%s may not push to %s/%s)"
                       % (args["author"], repo["owner"], repo["name"]))
    author = state.user(args.get("author") or repo["owner"]) or {"login": repo["owner"],
                                                               "email": "%s@example.com" % repo["owner"]}
    path = state.repo_path(repo)
    branch = args["branch"]
    with state.git_lock:
        old = state.git.ref(path, "refs/heads/" + branch)
        parent = old or state.git.ref(path, "refs/heads/" + (args.get("from") or repo["default_branch"]))
        index = os.path.join(state.root, "index-%s" % secrets.token_hex(6))
        env = {"GIT_INDEX_FILE": index}
        try:
            if parent:
                state.git.run(path, "read-tree", parent, env=env)
            for file_path, content in sorted(args.get("files", {}).items()):
                blob = state.git.out(path, "hash-object", "-w", "--stdin", input=content.encode())
                state.git.run(path, "update-index", "--add", "--cacheinfo", "100644,%s,%s" % (blob, file_path), env=env)
            tree = state.git.out(path, "write-tree", env=env)
        finally:
            if os.path.exists(index):
                os.remove(index)
        parents = ["-p", parent] if parent else []
        message = args.get("message") or "Update files"
        sha = state.git.out(path, "commit-tree", tree, *parents, "-m", message,
                            env=state.signature_env(author, author))
        state.git.run(path, "update-ref", "refs/heads/" + branch, sha, old or "")
        state.branch_updated(repo, branch, old, sha)
    return sha


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", help="directory for repositories (default: a new temporary directory)")
    parser.add_argument("--version", default="1.26.3", help="the Gitea version to report and emulate")
    parser.add_argument("--user", action="append", default=[],
                        help="create a user at start: LOGIN, LOGIN:admin, or LOGIN:scope,scope (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    parser.add_argument("--merge-check-delay", type=float, default=DEFAULT_MERGE_CHECK_DELAY,
                        help="seconds a pull request is 'checking' (mergeable false, merges answer 405) after it is "
                             "opened and after each push to its head or base (default %(default)s)")
    parser.add_argument("--root-url", help="the ROOT_URL to build reported URLs from (clone_url, html_url, Link), as "
                                           "a Gitea behind a proxy or in a container reports one that is wrong from "
                                           "outside (default: the address it listens on)")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain) file; needs --tls-key")
    parser.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    options = parser.parse_args()
    if bool(options.tls_cert) != bool(options.tls_key):
        parser.error("--tls-cert and --tls-key go together")

    owns_root = options.root is None
    root = options.root or tempfile.mkdtemp(prefix="gitea-test-server-")
    url_holder = {"root_url": ""}
    state = State(root, options.version, url_holder)
    state.merge_check_delay = max(0.0, options.merge_check_delay)
    server = Server(state, options.verbose)
    port = server.server_address[1]
    scheme = "http"
    if options.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.tls_cert, options.tls_key)
        # The handshake happens on each connection's first read, in its handler thread: a client that never
        # finishes it cannot hold up accept() for everyone else.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        scheme = "https"
    url_holder["root_url"] = "%s://127.0.0.1:%d/" % (scheme, port)
    if options.root_url:
        url_holder["root_url"] = options.root_url if options.root_url.endswith("/") else options.root_url + "/"

    users = {}
    for spec in options.user:
        login, _, extra = spec.partition(":")
        admin = extra == "admin"
        scopes = ["all"] if not extra or admin else extra.split(",")
        _, token = state.create_user(login, admin=admin, scopes=scopes)
        users[login] = token

    # serve_forever looks at its shutdown flag once per poll interval (0.5 s by default), and `shutdown()` waits for
    # that look: at the default, every test that stops a server waited a quarter of a second on average for nothing.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    print(json.dumps({"port": port, "root": root, "users": users, "pid": os.getpid()}), flush=True)

    # Control channel: one JSON request per stdin line, one JSON answer per stdout line. EOF stops the server.
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
            result = server.control(request.get("op", ""), request.get("args") or {})
            answer = {"ok": True, "result": result}
        except ApiError as error:
            answer = {"ok": False, "status": error.status, "message": error.message}
        except (ValueError, KeyError, TypeError) as error:
            answer = {"ok": False, "status": 400, "message": "bad control request: %r" % (error,)}
        print(json.dumps(answer), flush=True)
    server.shutdown()
    server.server_close()
    if owns_root:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
