export * from './money';
export * from './statuses';
export * from './networks';
export * from './payout';
export * from './approval';
export * from './search-attributes';
