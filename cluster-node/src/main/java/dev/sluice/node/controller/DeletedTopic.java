package dev.sluice.node.controller;

/**
 * What the controller remembers of a deleted topic, so that a replica that was away when the topic
 * was deleted removes its copy when it returns. Kept for good: a few dozen bytes per deletion.
 *
 * <p>A replica removes a partition directory only when a deleted topic names it: by id when the
 * directory carries one (so a new topic of the same name keeps its data), by name only for data
 * written before topic ids existed. A topic missing from the metadata without such a record is
 * never removed: an empty or foreign controller journal must not wipe a node. Immutable.
 *
 * @param name the topic's name
 * @param topicId the deleted incarnation's id; null for a topic created before ids existed
 * @param partitions how many partitions it had when it was deleted
 */
public record DeletedTopic(String name, String topicId, int partitions)
    implements ControllerSerializable {}
