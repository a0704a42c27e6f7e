package dev.sluice.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The controller's journal ({@code sluice.controller}): which database holds the controller's
 * events and snapshots, and how the node connects to it. {@code sluice-controller.conf} in the
 * server wires these values into pekko-persistence-jdbc.
 *
 * @param journal the database every node of the cluster uses
 * @param h2Path the H2 file (without its {@code .mv.db} suffix) when set; empty lets the node
 *     derive it from its data directory, so that the nodes of one machine share one file
 * @param postgres the PostgreSQL database, read whatever {@code journal} says
 * @param poolSize connections per JVM
 * @param h2User the user of the H2 journal
 * @param h2PasswordFile the file holding the H2 user's password; empty lets the node use {@code
 *     <h2-path>.password}, created with mode 0600 on first start
 * @param leaderBalance when the controller moves leadership back to preferred replicas
 * @param producerIdBlock how many producer ids a node takes from the controller at a time; it hands
 *     them out to idempotent producers without asking again until they are used up
 */
public record ControllerSettings(
    Journal journal,
    Optional<Path> h2Path,
    PostgresSettings postgres,
    int poolSize,
    String h2User,
    Optional<Path> h2PasswordFile,
    LeaderBalanceSettings leaderBalance,
    int producerIdBlock) {

  /** {@code sluice.controller.producer-id-block}'s default. */
  public static final int DEFAULT_PRODUCER_ID_BLOCK = 1000;

  /**
   * The largest {@code producer-id-block}: ids are plenty (2^63), but a block is what a node loses
   * when it stops, and a million ids is more than any node hands out between two asks.
   */
  public static final int MAX_PRODUCER_ID_BLOCK = 1_000_000;

  /** Settings with the default producer id block. */
  public ControllerSettings(
      Journal journal,
      Optional<Path> h2Path,
      PostgresSettings postgres,
      int poolSize,
      String h2User,
      Optional<Path> h2PasswordFile,
      LeaderBalanceSettings leaderBalance) {
    this(
        journal,
        h2Path,
        postgres,
        poolSize,
        h2User,
        h2PasswordFile,
        leaderBalance,
        DEFAULT_PRODUCER_ID_BLOCK);
  }

  /** Settings with the default leader balance and producer id block. */
  public ControllerSettings(
      Journal journal,
      Optional<Path> h2Path,
      PostgresSettings postgres,
      int poolSize,
      String h2User,
      Optional<Path> h2PasswordFile) {
    this(
        journal, h2Path, postgres, poolSize, h2User, h2PasswordFile, LeaderBalanceSettings.DEFAULT);
  }
}
