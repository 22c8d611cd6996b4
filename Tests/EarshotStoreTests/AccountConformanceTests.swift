import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Accounts conformance: users, keys, sessions, ownership")
struct AccountConformanceTests {
    let audit = AuditEventData(actor: "test")

    @Test("users are unique by name, keep their hash, and the last admin stays", arguments: StoreKind.allCases)
    func users(kind: StoreKind) async throws {
        let fixture = try await kind.makeFixture()
        let store = try await fixture.open()
        #expect(try await store.userCount() == 0)
        let admin = try await store.createUser(UserAccount(username: "ada", role: .admin, createdAt: at(0)), passwordHash: "h1", audit: audit)
        await #expect(throws: StoreError.duplicateUsername("ada")) {
            _ = try await store.createUser(UserAccount(username: "ada", role: .viewer, createdAt: at(1)), passwordHash: "h2", audit: audit)
        }
        let member = try await store.createUser(UserAccount(username: "bob", role: .member, createdAt: at(2)), passwordHash: "h3", audit: audit)
        #expect(try await store.userCount() == 2)
        #expect(try await store.users().map(\.username) == ["ada", "bob"])
        let found = try #require(try await store.credentials(username: "bob"))
        #expect(found.user == member && found.passwordHash == "h3")
        #expect(try await store.credentials(username: "BOB") == nil, "names compare exactly")

        await #expect(throws: StoreError.lastAdmin) { _ = try await store.updateUser(admin.id, role: .member, passwordHash: nil, audit: audit, now: at(3)) }
        await #expect(throws: StoreError.lastAdmin) { try await store.deleteUser(admin.id, audit: audit, now: at(3)) }
        let promoted = try await store.updateUser(member.id, role: .admin, passwordHash: "h4", audit: audit, now: at(4))
        #expect(promoted.role == .admin)
        #expect(try await store.credentials(username: "bob")?.passwordHash == "h4")
        try await store.deleteUser(admin.id, audit: audit, now: at(5))
        await #expect(throws: StoreError.userNotFound(admin.id)) { _ = try await store.user(id: admin.id) }

        let reopened = try await fixture.open()
        #expect(try await reopened.users().map(\.username) == ["bob"])
        let types = try await reopened.events(after: 0, filter: EventTypeFilter(parsing: "audit.*"), correlationId: nil, limit: 100).map(\.type)
        #expect(types == [.auditUserCreated, .auditUserCreated, .auditUserUpdated, .auditUserDeleted], "one audit event per change, none for refusals")
    }

    @Test("keys are found by hash, revoked once, and go with their user", arguments: StoreKind.allCases)
    func keys(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let owner = try await store.createUser(UserAccount(username: "kim", role: .member, createdAt: at(0)), passwordHash: "h", audit: audit)
        let other = try await store.createUser(UserAccount(username: "lee", role: .admin, createdAt: at(0)), passwordHash: "h", audit: audit)
        let key = try await store.createAPIKey(
            APIKeyRecord(userId: owner.id, name: "laptop", scopes: [.jobsWrite, .jobsRead], prefix: "esu_1234", createdAt: at(1)),
            keyHash: "key-hash", audit: audit
        )
        #expect(key.scopes == [.jobsRead, .jobsWrite])
        _ = try await store.createAPIKey(
            APIKeyRecord(userId: other.id, name: "ci", scopes: [.admin], prefix: "esu_5678", createdAt: at(2)), keyHash: "other-hash", audit: audit
        )
        let found = try #require(try await store.apiKey(keyHash: "key-hash"))
        #expect(found.key.id == key.id && found.user.id == owner.id)
        #expect(try await store.apiKey(keyHash: "nope") == nil)
        #expect(try await store.apiKeys(userId: owner.id).map(\.name) == ["laptop"])
        #expect(try await store.apiKeys(userId: nil).map(\.name) == ["ci", "laptop"], "newest first")

        try await store.markAPIKeyUsed(key.id, now: at(3))
        #expect(try await store.apiKey(id: key.id).lastUsedAt == at(3))
        let revoked = try await store.revokeAPIKey(key.id, audit: audit, now: at(4))
        #expect(revoked.revokedAt == at(4))
        #expect(try await store.revokeAPIKey(key.id, audit: audit, now: at(9)).revokedAt == at(4), "revoking again keeps the first time")
        #expect(try await store.apiKey(keyHash: "key-hash")?.key.isRevoked == true)
        await #expect(throws: StoreError.apiKeyNotFound("missing")) { _ = try await store.revokeAPIKey("missing", audit: audit, now: at(5)) }

        try await store.deleteUser(owner.id, audit: audit, now: at(6))
        #expect(try await store.apiKey(keyHash: "key-hash") == nil, "a deleted user's keys go with them")
        let keyEvents = try await store.events(after: 0, filter: EventTypeFilter(parsing: "audit.key_created,audit.key_revoked"), correlationId: nil, limit: 100)
        #expect(keyEvents.map(\.type) == [.auditKeyCreated, .auditKeyCreated, .auditKeyRevoked])
    }

    @Test("sessions expire, end, and end with a password change", arguments: StoreKind.allCases)
    func sessions(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let user = try await store.createUser(UserAccount(username: "sam", role: .viewer, createdAt: at(0)), passwordHash: "h", audit: audit)
        try await store.startSession(UserSession(tokenHash: "s1", userId: user.id, csrfToken: "c1", createdAt: at(10), expiresAt: at(100)), audit: audit)
        let live = try #require(try await store.session(tokenHash: "s1", now: at(50)))
        #expect(live.session.csrfToken == "c1" && live.user.id == user.id)
        #expect(live.user.lastLoginAt == at(10))
        #expect(try await store.session(tokenHash: "s1", now: at(100)) == nil, "expired at its expiry time")
        #expect(try await store.session(tokenHash: "other", now: at(50)) == nil)

        try await store.startSession(UserSession(tokenHash: "s2", userId: user.id, csrfToken: "c2", createdAt: at(20), expiresAt: at(200)), audit: audit)
        try await store.endSession(tokenHash: "s2", audit: audit, now: at(30))
        #expect(try await store.session(tokenHash: "s2", now: at(31)) == nil)

        try await store.startSession(UserSession(tokenHash: "s3", userId: user.id, csrfToken: "c3", createdAt: at(40), expiresAt: at(400)), audit: audit)
        _ = try await store.updateUser(user.id, role: nil, passwordHash: "new", audit: audit, now: at(41))
        #expect(try await store.session(tokenHash: "s3", now: at(42)) == nil, "a new password signs the user out everywhere")
    }

    @Test("jobs and search can be narrowed to their owner", arguments: StoreKind.allCases)
    func ownership(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        var mine = newJob(name: "mine.wav")
        mine.ownerId = "user-1"
        let owned = try await store.createJob(mine, now: at(0))
        let unowned = try await store.createJob(newJob(name: "theirs.wav"), now: at(1))
        #expect(owned.ownerId == "user-1")
        #expect(unowned.ownerId == nil)
        #expect(try await store.jobs(JobQuery(visibleTo: "user-1")).jobs.map(\.id) == [owned.id])
        #expect(try await store.jobs(JobQuery()).jobs.count == 2)

        for holder in ["w1", "w2"] {
            let claimed = try #require(try await store.claimNext(holder: holder, leaseSeconds: 30, models: nil, now: at(2)))
            _ = try await store.complete(claimed.lease, transcript: sampleTranscript(for: claimed.job.id), now: at(3))
        }
        let everyone = try await store.searchTranscripts(SearchTerms(parsing: "hello"), limit: 10, cursor: nil)
        #expect(Set(everyone.hits.map(\.jobId)) == [owned.id, unowned.id])
        var terms = try SearchTerms(parsing: "hello")
        terms.visibleTo = "user-1"
        #expect(try await store.searchTranscripts(terms, limit: 10, cursor: nil).hits.map(\.jobId) == [owned.id])
    }

    @Test("a shared job is visible to its grantee in lists and search, its access changes in place, and shares go with the job or the user", arguments: StoreKind.allCases)
    func shares(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let owner = try await store.createUser(UserAccount(username: "olga", role: .member, createdAt: at(0)), passwordHash: "h", audit: audit)
        let friend = try await store.createUser(UserAccount(username: "fred", role: .member, createdAt: at(0)), passwordHash: "h", audit: audit)
        var first = newJob(name: "first.wav")
        first.ownerId = owner.id
        var second = newJob(name: "second.wav")
        second.ownerId = owner.id
        let shared = try await store.createJob(first, now: at(1))
        let kept = try await store.createJob(second, now: at(2))
        for holder in ["w1", "w2"] {
            let claimed = try #require(try await store.claimNext(holder: holder, leaseSeconds: 30, models: nil, now: at(3)))
            _ = try await store.complete(claimed.lease, transcript: sampleTranscript(for: claimed.job.id), now: at(4))
        }
        #expect(try await store.jobs(JobQuery(visibleTo: friend.id)).jobs.isEmpty)
        #expect(try await store.shareAccess(shared.id, userId: friend.id) == nil)

        let share = try await store.shareJob(shared.id, userId: friend.id, access: .read, audit: audit, now: at(5))
        #expect(share == JobShare(jobId: shared.id, userId: friend.id, username: "fred", access: .read, createdAt: at(5)))
        #expect(try await store.shareAccess(shared.id, userId: friend.id) == .read)
        #expect(try await store.jobs(JobQuery(visibleTo: friend.id)).jobs.map(\.id) == [shared.id])
        #expect(Set(try await store.jobs(JobQuery(visibleTo: owner.id)).jobs.map(\.id)) == [shared.id, kept.id], "sharing takes nothing from the owner")
        var terms = try SearchTerms(parsing: "hello")
        terms.visibleTo = friend.id
        #expect(try await store.searchTranscripts(terms, limit: 10, cursor: nil).hits.map(\.jobId) == [shared.id])

        let upgraded = try await store.shareJob(shared.id, userId: friend.id, access: .edit, audit: audit, now: at(6))
        #expect(upgraded.access == .edit && upgraded.createdAt == at(5), "sharing again changes the access of the same share")
        #expect(try await store.jobShares(shared.id).map(\.username) == ["fred"])
        #expect(try await store.jobShares(kept.id).isEmpty)

        await #expect(throws: StoreError.userNotFound("nobody")) {
            _ = try await store.shareJob(shared.id, userId: "nobody", access: .read, audit: audit, now: at(7))
        }
        let missing = JobID(rawValue: "00000000-0000-0000-0000-000000000000")
        await #expect(throws: StoreError.jobNotFound(missing)) {
            _ = try await store.shareJob(missing, userId: friend.id, access: .read, audit: audit, now: at(7))
        }
        await #expect(throws: StoreError.shareNotFound(kept.id, friend.id)) {
            try await store.unshareJob(kept.id, userId: friend.id, audit: audit, now: at(7))
        }

        try await store.unshareJob(shared.id, userId: friend.id, audit: audit, now: at(8))
        #expect(try await store.jobs(JobQuery(visibleTo: friend.id)).jobs.isEmpty)
        #expect(try await store.searchTranscripts(terms, limit: 10, cursor: nil).hits.isEmpty)

        _ = try await store.shareJob(shared.id, userId: friend.id, access: .read, audit: audit, now: at(9))
        _ = try await store.shareJob(kept.id, userId: friend.id, access: .read, audit: audit, now: at(9))
        _ = try await store.delete(shared.id)
        #expect(try await store.jobs(JobQuery(visibleTo: friend.id)).jobs.map(\.id) == [kept.id], "a deleted job's shares go with it")
        try await store.deleteUser(friend.id, audit: audit, now: at(10))
        #expect(try await store.jobShares(kept.id).isEmpty, "a deleted user's shares go with them")
        let types = try await store.events(after: 0, filter: EventTypeFilter(parsing: "audit.job_shared"), correlationId: nil, limit: 100).map(\.type)
        #expect(types.count == 5, "one audit event per share change, none for refusals")
    }
}
