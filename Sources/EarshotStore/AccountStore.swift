import EarshotCore
import Foundation

/// Users, their API keys and browser sessions. Every change is recorded as an `audit.*` event in
/// the same transaction, so the audit log never misses one.
public protocol AccountStore: Sendable {
    func userCount() async throws -> Int
    /// Throws ``StoreError/duplicateUsername(_:)`` for a taken name.
    func createUser(_ user: UserAccount, passwordHash: String, audit: AuditEventData) async throws -> UserAccount
    func user(id: String) async throws -> UserAccount
    /// A user and their password hash, for signing in.
    func credentials(username: String) async throws -> (user: UserAccount, passwordHash: String)?
    func users() async throws -> [UserAccount]
    /// Changes the role and/or the password; a new password ends the user's sessions. Throws
    /// ``StoreError/lastAdmin`` rather than demote the last admin.
    func updateUser(_ id: String, role: Role?, passwordHash: String?, audit: AuditEventData, now: Date) async throws -> UserAccount
    /// Deletes the user with their keys and sessions (their jobs stay). Throws ``StoreError/lastAdmin``
    /// for the last admin.
    func deleteUser(_ id: String, audit: AuditEventData, now: Date) async throws
    func createAPIKey(_ key: APIKeyRecord, keyHash: String, audit: AuditEventData) async throws -> APIKeyRecord
    /// One user's keys, or everyone's (nil), newest first, revoked ones included.
    func apiKeys(userId: String?) async throws -> [APIKeyRecord]
    func apiKey(id: String) async throws -> APIKeyRecord
    /// The key with this hash and its user, revoked or not (the caller refuses revoked keys).
    func apiKey(keyHash: String) async throws -> (key: APIKeyRecord, user: UserAccount)?
    /// Revokes at once; revoking twice keeps the first time.
    func revokeAPIKey(_ id: String, audit: AuditEventData, now: Date) async throws -> APIKeyRecord
    func markAPIKeyUsed(_ id: String, now: Date) async throws
    /// Starts a browser session and records the sign-in.
    func startSession(_ session: UserSession, audit: AuditEventData) async throws
    /// The live session with this token hash and its user; nil when unknown or expired.
    func session(tokenHash: String, now: Date) async throws -> (session: UserSession, user: UserAccount)?
    func endSession(tokenHash: String, audit: AuditEventData, now: Date) async throws
    /// Shares a job with a user, or changes what an existing share allows; records
    /// `audit.job_shared`. Throws ``StoreError/jobNotFound(_:)`` or ``StoreError/userNotFound(_:)``.
    func shareJob(_ jobId: JobID, userId: String, access: ShareAccess, audit: AuditEventData, now: Date) async throws -> JobShare
    /// Ends a share; records `audit.job_shared`. Throws ``StoreError/shareNotFound(_:_:)``.
    func unshareJob(_ jobId: JobID, userId: String, audit: AuditEventData, now: Date) async throws
    /// Who a job is shared with, by username.
    func jobShares(_ jobId: JobID) async throws -> [JobShare]
    /// What a user may do with a job shared with them; nil when it is not.
    func shareAccess(_ jobId: JobID, userId: String) async throws -> ShareAccess?
}
