/**
 * Retention's decision ({@link dev.sluice.log.retention.RetentionPlan}): which prefix of old
 * segments goes, by size and age, never past the high watermark. Pure; the log applies it.
 */
package dev.sluice.log.retention;
