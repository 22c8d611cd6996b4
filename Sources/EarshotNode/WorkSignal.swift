import EarshotCore

/// Wakes idle workers and long-polling claims when work arrives, instead of making them poll.
public typealias WorkSignal = ChangeSignal
