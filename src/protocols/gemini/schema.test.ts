import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromGeminiSchema, toGeminiSchema } from './schema.ts';

describe('toGeminiSchema', () => {
  it('strips keywords Gemini rejects and keeps the documented ones', () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: false,
      properties: {
        city: { type: 'string', description: 'City name', default: 'Paris', examples: ['Rome'], format: 'uri', pattern: '^[A-Z]' },
        when: { type: 'string', format: 'date-time' },
        count: { type: 'integer', minimum: 1, maximum: 10, format: 'int32' },
      },
      required: ['city', 'ghost'],
    };
    assert.deepEqual(toGeminiSchema(schema), {
      type: 'object',
      properties: {
        city: { type: 'string', description: 'City name' },
        when: { type: 'string', format: 'date-time' },
        count: { type: 'integer', minimum: 1, maximum: 10, format: 'int32' },
      },
      required: ['city'],
    });
  });

  it('turns type arrays with null into type + nullable, and several types into anyOf', () => {
    assert.deepEqual(toGeminiSchema({ type: ['string', 'null'] }), { type: 'string', nullable: true });
    assert.deepEqual(toGeminiSchema({ type: ['string', 'number'] }), { anyOf: [{ type: 'string' }, { type: 'number' }] });
  });

  it('folds a null branch of anyOf/oneOf into nullable and unwraps a single branch', () => {
    assert.deepEqual(toGeminiSchema({ anyOf: [{ type: 'string', description: 'x' }, { type: 'null' }] }), { type: 'string', description: 'x', nullable: true });
    assert.deepEqual(toGeminiSchema({ oneOf: [{ type: 'string' }, { type: 'integer' }] }), { anyOf: [{ type: 'string' }, { type: 'integer' }] });
  });

  it('turns const into a one-value enum and moves non-string enums into the description', () => {
    assert.deepEqual(toGeminiSchema({ const: 'celsius' }), { type: 'string', enum: ['celsius'] });
    assert.deepEqual(toGeminiSchema({ type: 'integer', enum: [1, 2], description: 'Level' }), { type: 'integer', description: 'Level\nAllowed values: 1, 2' });
    assert.deepEqual(toGeminiSchema({ type: 'string', enum: ['a', null] }), { type: 'string', enum: ['a'], nullable: true });
  });

  it('inlines $ref from $defs and definitions, and ends a cycle as a bare object', () => {
    const schema = {
      type: 'object',
      properties: { home: { $ref: '#/$defs/Address' }, work: { $ref: '#/definitions/Address', description: 'Office' }, tree: { $ref: '#/$defs/Node' } },
      $defs: {
        Address: { type: 'object', properties: { street: { type: 'string' } }, required: ['street'] },
        Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' } } },
      },
      definitions: { Address: { type: 'object', properties: { street: { type: 'string' } } } },
    };
    assert.deepEqual(toGeminiSchema(schema), {
      type: 'object',
      properties: {
        home: { type: 'object', properties: { street: { type: 'string' } }, required: ['street'] },
        work: { type: 'object', description: 'Office', properties: { street: { type: 'string' } } },
        tree: { type: 'object', properties: { child: { type: 'object' } } },
      },
    });
  });

  it('merges allOf, gives arrays items, and drops empty properties', () => {
    assert.deepEqual(toGeminiSchema({ allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'number' } } }] }), {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'number' } },
      required: ['a'],
    });
    assert.deepEqual(toGeminiSchema({ type: 'array' }), { type: 'array', items: { type: 'string' } });
    assert.deepEqual(toGeminiSchema({ type: 'object', properties: {} }), { type: 'object' });
    assert.deepEqual(toGeminiSchema({ type: 'array', items: [{ type: 'number' }] }), { type: 'array', items: { type: 'number' } });
  });
});

describe('fromGeminiSchema', () => {
  it('lower-cases types and folds nullable into a type list', () => {
    assert.deepEqual(fromGeminiSchema({ type: 'OBJECT', properties: { n: { type: 'NUMBER', nullable: true }, list: { type: 'ARRAY', items: { type: 'STRING' } } }, required: ['n'] }), {
      type: 'object',
      properties: { n: { type: ['number', 'null'] }, list: { type: 'array', items: { type: 'string' } } },
      required: ['n'],
    });
  });
});
