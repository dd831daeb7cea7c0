// Parse Adaptive Cards with the npm `adaptivecards` renderer library and report what it objects to.
//
// stdin:  a JSON array of card objects.
// stdout: a JSON array, one entry per card, in order:
//   { index, eventCount, events: [...], validation: [...], rendered: {...} }
// where `events` are the parser's own events (unknown element or action types, invalid property
// values: what `ctx.eventCount` counts) and `validation` are the events of the card's
// `validateProperties()` pass (duplicate ids, inputs without an id). Each event is
// { phase, event, message, source } with the enum names spelled out. `rendered` is the card as the
// parser understood it: an element type it does not know (Teams' Chart.* elements) is replaced by
// its `fallback` there, so it shows what a client without that element would draw.
// Exit code: 0 when the input could be read (whatever the cards contain), 2 when it could not.
//
// Load `dist/`, not `lib/`: `lib/` is ES modules that need a bundler.
'use strict';

const AC = require('adaptivecards/dist/adaptivecards.js');

function describe(event) {
  const source = event.source;
  const sourceType = source && typeof source.getJsonTypeName === 'function' ? source.getJsonTypeName() : undefined;
  return {
    phase: AC.ValidationPhase[event.phase] ?? event.phase,
    event: AC.ValidationEvent[event.event] ?? event.event,
    message: event.message,
    ...(sourceType ? { source: sourceType } : {}),
  };
}

function check(card, index) {
  const ctx = new AC.SerializationContext();
  const parsed = new AC.AdaptiveCard();
  parsed.parse(card, ctx);
  const events = [];
  for (let i = 0; i < ctx.eventCount; i += 1) events.push(describe(ctx.getEventAt(i)));
  const validation = parsed.validateProperties().validationEvents.map(describe);
  return { index, eventCount: ctx.eventCount, events, validation, rendered: parsed.toJSON() };
}

function main(input) {
  let cards;
  try {
    cards = JSON.parse(input);
  } catch (err) {
    console.error(`validate_cards: stdin is not JSON: ${err.message}`);
    return 2;
  }
  if (!Array.isArray(cards)) {
    console.error('validate_cards: stdin must be a JSON array of cards');
    return 2;
  }
  process.stdout.write(JSON.stringify(cards.map(check)));
  return 0;
}

const chunks = [];
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  process.exitCode = main(chunks.join(''));
});
