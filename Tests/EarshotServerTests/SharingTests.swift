import EarshotCore
@testable import EarshotServer
@testable import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization
import Testing

/// Sharing a job and owning drafts, through the API with accounts on (the matrix fixture: a member
/// owns the job, another member and a viewer look on).
@Suite("Sharing jobs and owning drafts")
struct SharingTests {
    @Test("a member shares a job: the other member reads it (list, search, transcript, events), edits only with edit access, never deletes; unsharing hides it again")
    func sharing() async throws {
        let fixture = try await MatrixFixture.make()
        defer { fixture.cleanUp() }
        let job = fixture.jobID.rawValue
        let owner = fixture.headers(.member), other = fixture.headers(.otherMember)

        func visible() async throws -> (list: Bool, show: Int, search: Bool) {
            let list = try await fixture.json(.get, "/api/v1/jobs", headers: other)
            let search = try await fixture.json(.get, "/api/v1/search?q=hello", headers: other)
            let listed = (list.body["jobs"] as? [[String: Any]])?.contains { $0["id"] as? String == job } ?? false
            let found = (search.body["hits"] as? [[String: Any]])?.contains { $0["job_id"] as? String == job } ?? false
            return (listed, try await fixture.json(.get, "/api/v1/jobs/\(job)/transcript", headers: other).status, found)
        }
        let before = try await visible()
        #expect(!before.list && before.show == 404 && !before.search)
        #expect(try await fixture.json(.put, "/api/v1/jobs/\(job)/shares/other", headers: other, body: ["access": "read"]).status == 404,
                "nobody shares what they cannot see")

        let shared = try await fixture.json(.put, "/api/v1/jobs/\(job)/shares/other", headers: owner, body: ["access": "read"])
        #expect(shared.status == 200 && shared.body["username"] as? String == "other" && shared.body["access"] as? String == "read")
        let after = try await visible()
        #expect(after.list && after.show == 200 && after.search)
        let shares = try await fixture.json(.get, "/api/v1/jobs/\(job)/shares", headers: other)
        #expect((shares.body["shares"] as? [[String: Any]])?.map { $0["username"] as? String } == ["other"])
        let events = try await fixture.json(.get, "/api/v1/events/log?types=job.*&limit=100", headers: other)
        #expect((events.body["events"] as? [[String: Any]])?.isEmpty == false, "the job's events are the grantee's to see")

        // Read access: no edits, no owner's actions, no resharing.
        let edit = ["text": "Edited by a friend."]
        #expect(try await fixture.json(.patch, "/api/v1/transcripts/\(job)/segments/0", headers: other, body: edit).status == 403)
        #expect(try await fixture.json(.post, "/api/v1/jobs/\(job)/cancel", headers: other).status == 403)
        #expect(try await fixture.json(.delete, "/api/v1/jobs/\(job)", headers: other).status == 403)
        #expect(try await fixture.json(.put, "/api/v1/jobs/\(job)/shares/viewer", headers: other, body: ["access": "read"]).status == 403)

        // Edit access: the transcript, under the editor's own name whatever they claim.
        #expect(try await fixture.json(.put, "/api/v1/jobs/\(job)/shares/other", headers: owner, body: ["access": "edit"]).body["access"] as? String == "edit")
        let revised = try await fixture.json(
            .patch, "/api/v1/transcripts/\(job)/segments/0", headers: other, body: ["text": "Edited by a friend.", "author": "the owner"]
        )
        #expect(revised.status == 200 && revised.body["text"] as? String == "Edited by a friend.")
        let revisions = revised.body["revisions"] as? [[String: Any]] ?? []
        #expect(revisions.last?["author"] as? String == "other", "a signed-in author is themselves: \(revisions)")
        #expect(try await fixture.json(.delete, "/api/v1/jobs/\(job)", headers: other).status == 403)

        // Bad requests are refused in words.
        let ownerIsUser = try await fixture.json(.put, "/api/v1/jobs/\(job)/shares/member", headers: owner, body: ["access": "read"])
        #expect(ownerIsUser.status == 400 && ownerIsUser.code == "invalid_share")
        let badAccess = try await fixture.json(.put, "/api/v1/jobs/\(job)/shares/other", headers: owner, body: ["access": "own"])
        #expect(badAccess.status == 400 && badAccess.code == "invalid_access")
        let nobody = try await fixture.json(.put, "/api/v1/jobs/\(job)/shares/nobody", headers: owner, body: ["access": "read"])
        #expect(nobody.status == 404 && nobody.code == "user_not_found")
        #expect(try await fixture.json(.put, "/api/v1/jobs/\(job)/shares/bad%20name", headers: owner, body: ["access": "read"]).code == "invalid_username")

        #expect(try await fixture.json(.delete, "/api/v1/jobs/\(job)/shares/other", headers: owner).status == 204)
        #expect(try await fixture.json(.delete, "/api/v1/jobs/\(job)/shares/other", headers: owner).code == "share_not_found")
        let unshared = try await visible()
        #expect(!unshared.list && unshared.show == 404 && !unshared.search)

        let audit = try await fixture.json(.get, "/api/v1/events/log?types=audit.job_shared&limit=10", headers: fixture.headers(.admin))
        let details = (audit.body["events"] as? [[String: Any]])?.compactMap { ($0["data"] as? [String: Any])?["detail"] as? String }
        #expect(details == ["other: read", "other: edit", "other: none"], "every share change is audited: \(String(describing: details))")
    }

    @Test("a member's live drafts are theirs: others get 404 and do not see them listed or in events; admins and viewers do")
    func draftOwners() async throws {
        let fixture = try await MatrixFixture.make()
        defer { fixture.cleanUp() }
        let mine = try await fixture.store.startDraft(
            NewDraft(sessionId: "s1", offsetSeconds: 0, model: "tiny.en", language: "en", ownerId: fixture.memberID), now: Date()
        )
        let stream = try await fixture.store.startDraft(NewDraft(sessionId: "stream-x", offsetSeconds: 0, model: "tiny.en", language: "en"), now: Date())
        func listed(_ caller: AuthorizationMatrixTests.Caller) async throws -> Set<String> {
            let answer = try await fixture.json(.get, "/api/v1/drafts", headers: fixture.headers(caller))
            return Set((answer.body["drafts"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
        }
        #expect(try await listed(.member) == [mine.id])
        #expect(try await listed(.otherMember).isEmpty)
        #expect(try await listed(.admin) == [mine.id, stream.id])
        #expect(try await fixture.json(.get, "/api/v1/drafts/\(mine.id)", headers: fixture.headers(.otherMember)).status == 404)
        #expect(try await fixture.json(.get, "/api/v1/drafts/\(mine.id)", headers: fixture.headers(.viewer)).status == 200)
        #expect(try await fixture.json(.get, "/api/v1/drafts/\(stream.id)", headers: fixture.headers(.member)).status == 404)
        #expect(try await fixture.json(.patch, "/api/v1/drafts/\(mine.id)", headers: fixture.headers(.otherMember), body: ["text": "x"]).status == 404)
        #expect(try await fixture.json(.patch, "/api/v1/drafts/\(mine.id)", headers: fixture.headers(.viewer), body: ["text": "x"]).status == 403)
        let revised = try await fixture.json(.patch, "/api/v1/drafts/\(mine.id)", headers: fixture.headers(.member), body: ["text": "Mine."])
        #expect(revised.status == 200 && revised.body["text"] as? String == "Mine.")
        #expect(try await fixture.json(.get, "/drafts/\(mine.id)", headers: fixture.headers(.otherMember)).status == 404, "nor its page")

        func draftEvents(_ caller: AuthorizationMatrixTests.Caller) async throws -> Set<String> {
            let answer = try await fixture.json(.get, "/api/v1/events/log?types=draft.*,stream.*&limit=100", headers: fixture.headers(caller))
            return Set((answer.body["events"] as? [[String: Any]] ?? []).compactMap { ($0["data"] as? [String: Any])?["draft_id"] as? String })
        }
        #expect(try await draftEvents(.member) == [mine.id])
        #expect(try await draftEvents(.otherMember).isEmpty)
        #expect(try await draftEvents(.admin) == [mine.id, stream.id])
    }
}

extension MatrixFixture {
    /// How `caller` authenticates: the viewer's browser session (with its CSRF token), or a key.
    func headers(_ caller: AuthorizationMatrixTests.Caller) -> HTTPFields {
        if caller == .viewer { return [.cookie: "earshot_session=\(viewerCookie)", AccountGate.csrfHeader: viewerCSRF] }
        return [.authorization: "Bearer \(keys[caller] ?? "")"]
    }

    /// The status, the JSON body (empty when there is none) and the error code, if any.
    func json(
        _ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: [String: String]? = nil
    ) async throws -> (status: Int, body: [String: Any], code: String?) {
        var headers = headers
        if method != .get { headers[.contentType] = "application/json" }
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? []
        let response = try await responder.respond(method, uri, headers: headers, body: bytes, logLevel: .critical)
        let collector = BodyCollector()
        try await response.body.write(collector)
        let data = Data(collector.storage.bytes.withLock { $0 })
        let parsed = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (response.status.code, parsed, (parsed["error"] as? [String: Any])?["code"] as? String)
    }
}
