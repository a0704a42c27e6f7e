package dev.sluice.config;

/**
 * Operator endpoints ({@code sluice.management}): pekko-management health and cluster routes.
 *
 * @param port TCP port of the management HTTP server; 0 picks a free one
 */
public record ManagementSettings(int port) {}
