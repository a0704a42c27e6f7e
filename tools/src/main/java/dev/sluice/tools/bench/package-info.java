/**
 * JMH benchmarks, run through {@code bin/sluice bench ...} rather than by the test suites: timings
 * belong here and in {@code docs/benchmarks.md}, never in a test. The annotation processor of JMH
 * generates their harness when this module compiles.
 */
package dev.sluice.tools.bench;
