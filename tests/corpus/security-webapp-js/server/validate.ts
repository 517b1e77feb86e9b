export class Validator {
  validateOrder(order: { quantity: number; sku: string }): void { // expect: security.input-validation
    if (!Number.isInteger(order.quantity) || order.quantity <= 0) {
      throw new Error("quantity must be a positive integer");
    }
    if (!["a", "b"].includes(order.sku)) {
      throw new Error("unknown sku");
    }
  }

  validateSilently(order: { quantity: number }): boolean {
    if (order.quantity <= 0) {
      console.warn("bad quantity");
    }
    return true;
  }
}
