package dev.sluice.node.controller;

/**
 * Marker of every controller message, event, reply and state that crosses the network or lands in
 * the journal. The node config binds it to {@code jackson-cbor}:
 *
 * <pre>
 * pekko.actor.serialization-bindings {
 *   "dev.sluice.node.controller.ControllerSerializable" = jackson-cbor
 * }
 * </pre>
 *
 * <p>Events and snapshots stay readable by later versions only if fields are added, never renamed
 * or retyped; a breaking change needs a Jackson migration.
 */
public interface ControllerSerializable {}
