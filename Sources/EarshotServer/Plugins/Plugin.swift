import EarshotCore
import EarshotStore
import Logging

/// Something that reacts to events: a webhook, a folder of exports, a command to run.
///
/// The ``PluginHost`` feeds each plugin the events it subscribes to, in log order, one at a time,
/// from where it left off (its cursor survives restarts). Delivery is at least once: an event
/// handled just before a stop, whose cursor was not saved yet, is offered again after a restart,
/// so handlers should be idempotent (webhooks carry the event id for that). A `handle` that throws or times out is
/// retried with backoff; after too many consecutive failures the plugin is disabled and a
/// `plugin.failed` event says why. One plugin's trouble never reaches another.
public protocol Plugin: Sendable {
    /// Unique among the server's plugins; names its cursor and its events.
    var name: String { get }
    /// The event types it wants.
    var subscription: EventTypeFilter { get }
    /// Prepares the plugin (create directories, check a command exists); a throw is retried.
    func start() async throws
    /// Reacts to one event. Throwing means "not handled": the same event is offered again.
    func handle(_ event: Event, context: PluginContext) async throws
    /// How often ``sweep(context:)`` runs (first right after `start`); `nil`, the default, for
    /// plugins that only react to events. Time-based work (retention) belongs here.
    var sweepInterval: Duration? { get }
    /// Periodic work; a throw counts as a failure like a throwing `handle`.
    func sweep(context: PluginContext) async throws
}

extension Plugin {
    public var sweepInterval: Duration? { nil }
    public func sweep(context: PluginContext) async throws {}
}

/// What a plugin may use while handling an event.
public struct PluginContext: Sendable {
    public let store: any Store
    public let media: MediaStore
    /// Tagged with the plugin's name.
    public let logger: Logger
}
