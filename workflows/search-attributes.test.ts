import { SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from './search-attributes';

const TYPES: Record<string, string> = {
  Keyword: SearchAttributeType.KEYWORD,
  Double: SearchAttributeType.DOUBLE,
  Datetime: SearchAttributeType.DATETIME,
};

it('the typed keys the workflows use are exactly the attributes the servers register', () => {
  const typed = Object.fromEntries(ALL_SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, key.type]));
  const registered = Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, TYPES[type]]));
  expect(typed).toEqual(registered);
});
