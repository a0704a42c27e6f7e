/**
 * The {@code staging/} directory of a partition ({@link dev.sluice.log.staging.StagingArea}): a
 * produce request's value and the chunks of an oversized replicated batch are written here before
 * the log appends them in one step, so a partial batch is never in the log and never whole in
 * memory.
 */
package dev.sluice.log.staging;
