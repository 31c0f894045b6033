// A document in Chinese, with code whose comments are Chinese and a few emoji: text of three and
// four UTF-8 bytes a character, which a byte-level tokenizer turns into a token or more each.

const PROSE = [
  '这个函数把一天的订单按客户汇总，再算出总额和平均值。',
  '未付款的订单暂时不计入收入，等付款之后再重新计算。',
  '如果某位客户当天没有下单，就不会出现在结果里。',
  '报告的标题写在常量里，方便以后翻译成其他语言。',
  '每次修改汇总规则之前，请先补上对应的单元测试。',
  '金额一律以分为单位保存，显示的时候再换算成元。',
  '审阅代码时，先看数据从哪里来，再看它到哪里去。',
  '模型读到这一行时，会觉得哪个字最出乎意料呢？',
];

const CODE = [
  'export function 汇总(订单列表: 订单[]): 汇总结果 {',
  '  // 按客户累计金额 📊',
  '  const 每位客户 = new Map<string, number>();',
  '  for (const 订单 of 订单列表) {',
  '    if (!订单.已付款) continue; // 未付款的先跳过 ⏳',
  '    每位客户.set(订单.客户, (每位客户.get(订单.客户) ?? 0) + 订单.金额);',
  '  }',
  '  return { 总额: [...每位客户.values()].reduce((a, b) => a + b, 0), 客户数: 每位客户.size }; // ✅',
  '}',
];

/** About `chars` characters of Chinese prose paragraphs and code with Chinese comments, the same every time. */
export function chineseDocument(chars = 2000): string {
  const lines: string[] = ['# 每日订单汇总 🧾', ''];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    // A paragraph of three sentences, then every third time a piece of code.
    const paragraph = [0, 1, 2].map((j) => PROSE[(i * 3 + j) % PROSE.length]).join('');
    const block = i % 3 === 2 ? ['```ts', ...CODE, '```', ''] : [paragraph, ''];
    lines.push(...block);
    length = lines.join('\n').length;
  }
  return lines.join('\n');
}
