package dev.karpenter.cloudprovider;

/**
 * Where and how an instance type can be bought: one zone and one capacity type ({@code spot},
 * {@code on-demand} or {@code reserved}) at a price in USD per hour.
 */
public record Offering(String zone, String capacityType, double price, boolean available) {
  public Offering withAvailable(boolean a) {
    return new Offering(zone, capacityType, price, a);
  }
}
