// Reference outputs for PretrainedModelTests, made with TensorFlow.js (the runtime these models ship for).
// Rerun: in an empty folder `npm install @tensorflow/tfjs@4.22.0 pngjs`, then
//   node make_tfjs_reference.js MODEL_DIR input.png output.png RANGE   (RANGE 255 for slim/medium, 1 for thick)
// with MODEL_DIR from `restora models info NAME`. Inputs here are crops of CSet5 baby.png downscaled x1/4.
// Runs an UpscalerJS layers-model with TensorFlow.js (pure JS CPU backend) on a PNG; writes the output PNG.
const tf = require('@tensorflow/tfjs');
const fs = require('fs'), path = require('path');
const { PNG } = require('pngjs');
class MultiplyBeta extends tf.layers.Layer {
  constructor(config) { super(config); this.beta = config.beta ?? 0.2; }
  call(inputs) { return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.beta)); }
  getConfig() { return { ...super.getConfig(), beta: this.beta }; }
  static get className() { return 'MultiplyBeta'; }
}
tf.serialization.registerClass(MultiplyBeta);
for (const r of [2, 3, 4, 8]) {
  const C = class extends tf.layers.Layer {
    call(inputs) { return tf.tidy(() => tf.depthToSpace(Array.isArray(inputs) ? inputs[0] : inputs, r, 'NHWC')); }
    computeOutputShape(s) { return [s[0], s[1] === null ? null : s[1] * r, s[2] === null ? null : s[2] * r, s[3] / (r * r)]; }
    static get className() { return `PixelShuffle${r}x`; }
  };
  tf.serialization.registerClass(C);
}
(async () => {
  const [dir, inp, out, range] = process.argv.slice(2);
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'model.json')));
  const specs = [], bufs = [];
  for (const g of m.weightsManifest) { specs.push(...g.weights); for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p))); }
  const all = Buffer.concat(bufs);
  const model = await tf.loadLayersModel(tf.io.fromMemory(m.modelTopology, specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.length)));
  const png = PNG.sync.read(fs.readFileSync(inp));
  const rgb = new Float32Array(png.width * png.height * 3);
  const k = parseFloat(range) / 255;
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c] * k;
  const y = model.predict(tf.tensor4d(rgb, [1, png.height, png.width, 3]));
  const [_, H, W] = y.shape; const d = await y.data();
  const o = new PNG({ width: W, height: H });
  for (let i = 0; i < W * H; i++) { for (let c = 0; c < 3; c++) o.data[i * 4 + c] = Math.max(0, Math.min(255, Math.round(d[i * 3 + c] / k))); o.data[i * 4 + 3] = 255; }
  fs.writeFileSync(out, PNG.sync.write(o));
  console.log(`${W}x${H} backend ${tf.getBackend()}`);
})();
