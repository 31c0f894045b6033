// Sums up a day of orders for the sales report.

export const REPORT_TITLE = 'Daily summary of recieved orders';

export interface Order {
  customer: string;
  amount: number;
  paid: boolean;
}

export interface Summary {
  total: number;
  average: number;
  bestCustomer: string | undefined;
}

export function summarize(orders: Order[]): Summary {
  const perCustomer = new Map<string, number>();
  let total = 0;
  let count = 0;
  for (const order of orders) {
    // Unpaid orders do not count towards revenue yet.
    if (!order.paid) continue;
    total += order.amount;
    count += 1;
    perCustomer.set(order.customer, (perCustomer.get(order.customer) ?? 0) + order.amount);
  }
  let bestCustomer: string | undefined;
  let best = -Infinity;
  for (const [customer, amount] of perCustomer) {
    if (amount > best) {
      best = amount;
      bestCustomer = customer;
    }
  }
  return { total, average: count === 0 ? 0 : total / count, bestCustomer };
}
