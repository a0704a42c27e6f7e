/**
 * The replication wire format: the frames a follower and its leader exchange ({@link
 * dev.sluice.replication.protocol.Frame}), their byte layout ({@link
 * dev.sluice.replication.protocol.FrameCodec}), and the incremental decoder that treats "not enough
 * bytes yet" as normal and an impossible header as a corrupt transfer. Pure code, no actors; the
 * table of frames is in {@code docs/replication.md}.
 */
package dev.sluice.replication.protocol;
