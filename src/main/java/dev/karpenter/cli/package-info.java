/** The {@code karpenter} command line (picocli): tables for people, {@code -o json} for tools. */
package dev.karpenter.cli;
