import { describe, expect, it } from '@jest/globals';
import { MarketDataError, nsStringToMs, parseRecordedLine } from '../../../src/market-data/binance-messages.js';

const FILE = '/some/where/btcusdt_20240808.gz';

// Real lines from the recordings (hftbacktest examples, Binance public data);
// the snapshots are their real first levels, cut short (the zero-qty spot bid is added).
const REAL = {
  spotDepth:
    '1723161275047435195 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161276318,"s":"BTCUSDT","U":50093247956,"u":50093247956,"b":[["61828.09000000","3.61811000"]],"a":[]}}',
  usdmDepth:
    '1723161599098636582 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161600370,"T":1723161600319,"s":"BTCUSDT","U":5123134944963,"u":5123134944963,"pu":5123134735497,"b":[["5000.00","2.321"]],"a":[]}}',
  cmDepth:
    '1723161599548175983 {"stream":"btcusd_perp@depth@0ms","data":{"e":"depthUpdate","E":1723161600819,"T":1723161600805,"s":"BTCUSD_PERP","ps":"BTCUSD","U":1007202244821,"u":1007202244822,"pu":1007202244644,"b":[["5000.0","2"]],"a":[]}}',
  spotTicker:
    '1723161254087891268 {"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}',
  usdmTicker:
    '1723161255088169167 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256313}}',
  cmTicker:
    '1723161256207640365 {"stream":"btcusd_perp@bookTicker","data":{"u":1007198632021,"e":"bookTicker","s":"BTCUSD_PERP","ps":"BTCUSD","b":"61804.7","B":"35","a":"61804.8","A":"1645","T":1723161257465,"E":1723161257476}}',
  spotTrade:
    '1723161254087896568 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}',
  usdmTrade:
    '1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}',
  cmTrade:
    '1723161256419684465 {"stream":"btcusd_perp@trade","data":{"e":"trade","E":1723161257687,"T":1723161257679,"s":"BTCUSD_PERP","t":849714402,"p":"61804.8","q":"4","X":"MARKET","m":false}}',
  spotSnapshot: '1723161254206652067 {"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"],["61837.62000000","0.00000000"]],"asks":[["61837.64000000","1.54698000"]]}',
  usdmSnapshot: '1723161255319702566 {"lastUpdateId":5123107852948,"E":1723161256501,"T":1723161256493,"bids":[["61800.20","2.909"]],"asks":[["61800.30","2.510"]]}',
  cmSnapshot:
    '1723161256609369665 {"lastUpdateId":1007198635033,"E":1723161257835,"T":1723161257823,"symbol":"BTCUSD_PERP","pair":"BTCUSD","bids":[["61804.7","35"]],"asks":[["61804.8","1645"]]}',
};

describe('parseRecordedLine', () => {
  it('parses a spot depth update; data time is the receive time cut to integer ms', () => {
    const r = parseRecordedLine(REAL.spotDepth, 1, FILE);
    expect(r).toEqual({
      ts: 1723161275047,
      venue: 'binance',
      message: {
        kind: 'depthUpdate',
        symbol: 'BTCUSDT',
        firstUpdateId: 50093247956,
        finalUpdateId: 50093247956,
        prevFinalUpdateId: undefined,
        bids: [[61828.09, 3.61811]],
        asks: [],
      },
    });
  });

  it('parses futures depth updates, with pu, and tells USD-M from COIN-M', () => {
    const usdm = parseRecordedLine(REAL.usdmDepth, 1, FILE);
    expect(usdm.venue).toBe('binanceusdm');
    expect(usdm.message).toMatchObject({ kind: 'depthUpdate', prevFinalUpdateId: 5123134735497, finalUpdateId: 5123134944963 });
    const cm = parseRecordedLine(REAL.cmDepth, 1, FILE);
    expect(cm.venue).toBe('binancecoinm');
    expect(cm.message).toMatchObject({ symbol: 'BTCUSD_PERP', firstUpdateId: 1007202244821, bids: [[5000, 2]] });
  });

  it('parses snapshots: spot and USD-M carry no symbol, COIN-M does; qty 0 levels are kept for the builder', () => {
    const spot = parseRecordedLine(REAL.spotSnapshot, 8, FILE);
    expect(spot.venue).toBe('binance');
    expect(spot.message).toEqual({
      kind: 'snapshot',
      lastUpdateId: 50093239218,
      symbol: undefined,
      bids: [
        [61837.63, 3.78826],
        [61837.62, 0],
      ],
      asks: [[61837.64, 1.54698]],
    });
    expect(parseRecordedLine(REAL.usdmSnapshot, 1, FILE).venue).toBe('binanceusdm');
    const cm = parseRecordedLine(REAL.cmSnapshot, 1, FILE);
    expect(cm.venue).toBe('binancecoinm');
    expect(cm.message).toMatchObject({ kind: 'snapshot', symbol: 'BTCUSD_PERP' });
  });

  it('parses book tickers (spot has no e/T fields, futures do)', () => {
    const spot = parseRecordedLine(REAL.spotTicker, 3, FILE);
    expect(spot).toEqual({
      ts: 1723161254087,
      venue: 'binance',
      message: { kind: 'bookTicker', symbol: 'BTCUSDT', updateId: 50093239212, bid: 61837.63, bidSize: 3.78826, ask: 61837.64, askSize: 1.54698 },
    });
    expect(parseRecordedLine(REAL.usdmTicker, 1, FILE).venue).toBe('binanceusdm');
    expect(parseRecordedLine(REAL.cmTicker, 1, FILE).venue).toBe('binancecoinm');
  });

  it('parses trades (spot has no X; futures carry X)', () => {
    const spot = parseRecordedLine(REAL.spotTrade, 4, FILE);
    expect(spot).toEqual({
      ts: 1723161254087,
      venue: 'binance',
      message: {
        kind: 'trade',
        symbol: 'BTCUSDT',
        tradeId: 3735683259,
        price: 61837.63,
        qty: 0.02,
        tradeTime: 1723161255342,
        buyerIsMaker: true,
        executionType: undefined,
      },
    });
    const usdm = parseRecordedLine(REAL.usdmTrade, 1, FILE);
    expect(usdm.venue).toBe('binanceusdm');
    expect(usdm.message).toMatchObject({ executionType: 'MARKET', buyerIsMaker: false, qty: 0.006 });
    expect(parseRecordedLine(REAL.cmTrade, 1, FILE).venue).toBe('binancecoinm');
  });

  it('cuts 19-digit ns as a string: Number() of the whole value would round the ms', () => {
    expect(nsStringToMs('1723161253935999999')).toBe(1723161253935);
    expect(Math.floor(Number('1723161253935999999') / 1e6)).toBe(1723161253936); // the trap: float rounding moves it into the next ms
    expect(nsStringToMs('999999')).toBe(0);
    expect(nsStringToMs('-1')).toBeUndefined();
    expect(nsStringToMs('12345678901234567890')).toBeUndefined();
  });

  const depthWith = (b: unknown, extra: Record<string, unknown> = {}): string =>
    `1723161275047435195 ${JSON.stringify({
      stream: 'btcusdt@depth@100ms',
      data: { e: 'depthUpdate', E: 1, s: 'BTCUSDT', U: 5, u: 6, b, a: [], ...extra },
    })}`;

  const malformed: Array<[string, string, RegExp]> = [
    ['no space', '1723161275047435195{"a":1}', /no space/],
    ['empty line', '', /empty line/],
    ['non-numeric receive time', 'abc {"lastUpdateId":1,"bids":[],"asks":[]}', /bad receive time "abc"/],
    ['negative receive time', '-1723161275047435195 {"lastUpdateId":1,"bids":[],"asks":[]}', /bad receive time/],
    ['fractional receive time', '1723161275.047 {"lastUpdateId":1,"bids":[],"asks":[]}', /bad receive time/],
    ['20-digit receive time', '17231612750474351950 {"lastUpdateId":1,"bids":[],"asks":[]}', /bad receive time/],
    ['bad JSON', '1723161275047435195 {"stream":"btcusdt@trade","data":{', /bad JSON \(/],
    ['JSON array', '1723161275047435195 [1,2]', /not an object/],
    ['JSON null', '1723161275047435195 null', /not an object/],
    ['unknown stream', '1723161275047435195 {"stream":"btcusdt@aggTrade","data":{"e":"aggTrade"}}', /unknown stream "btcusdt@aggTrade"/],
    ['unknown shape', '1723161275047435195 {"result":null,"id":1}', /unknown message shape/],
    ['stream data not an object', '1723161275047435195 {"stream":"btcusdt@trade","data":7}', /bad stream envelope/],
    ['NaN price', depthWith([['NaN', '1.0']]), /bad depthUpdate \(b\.0\.0: not a positive decimal: "NaN"\)/],
    ['negative price', depthWith([['-61000.00', '1.0']]), /b\.0\.0: not a positive decimal/],
    ['non-numeric price', depthWith([['abc', '1.0']]), /b\.0\.0: not a positive decimal/],
    ['empty price', depthWith([['', '1.0']]), /b\.0\.0: not a positive decimal: ""/],
    ['zero price', depthWith([['0.00', '1.0']]), /b\.0\.0: not a positive decimal/],
    ['exponent price', depthWith([['6.1e4', '1.0']]), /b\.0\.0: not a positive decimal/],
    ['price as a JSON number', depthWith([[61000.5, '1.0']]), /b\.0\.0/],
    ['negative qty', depthWith([['61000.00', '-1']]), /b\.0\.1: not a non-negative decimal/],
    ['level with one element', depthWith([['61000.00']]), /b\.0/],
    ['U > u', depthWith([], { U: 7, u: 6 }), /U > u/],
    ['missing u', depthWith([], { u: undefined }), /bad depthUpdate \(u:/],
    ['fractional update id', depthWith([], { U: 5.5 }), /U:/],
    [
      'wrong event type on a depth stream',
      '1723161275047435195 {"stream":"btcusdt@depth@100ms","data":{"e":"trade","s":"BTCUSDT","U":1,"u":1,"b":[],"a":[]}}',
      /bad depthUpdate \(e:/,
    ],
    [
      'ticker without ask size',
      '1723161254087891268 {"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"1.0","B":"1.0","a":"2.0"}}',
      /bad bookTicker \(A:/,
    ],
    [
      'trade with zero qty',
      '1723161254087896568 {"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":1,"p":"61837.63","q":"0.00000000","T":1,"m":true}}',
      /bad trade \(q: not a positive decimal/,
    ],
    [
      'trade with string m',
      '1723161254087896568 {"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":1,"p":"61837.63","q":"1","T":1,"m":"true"}}',
      /bad trade \(m:/,
    ],
    ['snapshot with bad ask', '1723161254466512868 {"lastUpdateId":1,"bids":[],"asks":[["x","1"]]}', /bad depth snapshot \(asks\.0\.0/],
    ['snapshot with negative id', '1723161254466512868 {"lastUpdateId":-1,"bids":[],"asks":[]}', /bad depth snapshot \(lastUpdateId/],
  ];

  it.each(malformed)('rejects %s with MarketDataError naming file and line', (_name, line, reason) => {
    let caught: unknown;
    try {
      parseRecordedLine(line, 17, FILE);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MarketDataError);
    const err = caught as MarketDataError;
    expect(err.file).toBe(FILE);
    expect(err.line).toBe(17);
    expect(err.message.startsWith('btcusdt_20240808.gz line 17: ')).toBe(true);
    expect(err.reason).toMatch(reason);
  });
});
