package dev.sluice.node;

/** Marker for node-to-node messages serialized with Jackson CBOR. Never carries record bytes. */
public interface NodeSerializable {}
