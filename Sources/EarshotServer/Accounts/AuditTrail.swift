import EarshotCore
import EarshotStore
import Foundation

/// Records `audit.*` events for actions whose own events do not say who acted: node changes and
/// deletes. (Account changes are recorded by the store in the same transaction as the change.)
enum AuditTrail {
    static func record(_ type: EventType, store: any Store, context: EarshotRequestContext, target: String, detail: String? = nil) async throws {
        let data = AuditEventData(
            actor: context.principal.actor, target: target,
            address: context.clientAddress, detail: detail
        )
        _ = try await store.appendEvent(.audit(type, data), now: Date())
    }
}
