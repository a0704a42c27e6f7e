/**
 * The {@code sluice} command line that {@code bin/sluice} runs ({@link
 * dev.sluice.tools.SluiceCli}): {@code node} (one server in the foreground), the client subcommands
 * {@code topic}, {@code produce} and {@code consume} (through {@link
 * dev.sluice.client.SluiceClient}), {@code local-cluster} (one node JVM per node on this machine,
 * started with {@code dev.sluice.node.Main}), {@code demo} (the incident replayed on a throwaway
 * local cluster) and {@code bench} (log appends on JMH, produce and follower catch-up on a local
 * cluster).
 *
 * <p>One package on purpose: the commands are package-private and share small helpers (tables,
 * sizes, progress bars, the local-cluster layout and processes). Exit codes are the CLI's contract:
 * 0 success, 1 an error the server reported or a user error, 2 a usage error.
 *
 * <p>Depends on the server module only to run a node in-process ({@code node}) and to name its main
 * class; everything else goes through the client and the HTTP API. The server depends on nothing
 * here (the build enforces it).
 */
package dev.sluice.tools;
