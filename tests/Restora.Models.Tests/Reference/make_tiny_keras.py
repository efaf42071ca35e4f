#!/usr/bin/python3
"""A tiny Keras layers-model in TF.js format that uses every layer type Restora's loader supports, with float32,
uint8-quantized and float16-quantized weights, and its output computed in PyTorch by the shared reference runtime
(../shared/tools/keras-torch-ref.py) on the dequantized weights. Used by KerasModelTests.
Rerun from the repository root: /usr/bin/python3 tests/Restora.Models.Tests/Reference/make_tiny_keras.py"""
import json, os, sys, importlib.util, numpy as np, torch
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, 'tiny_keras'); os.makedirs(out, exist_ok=True)
spec = importlib.util.spec_from_file_location('ref', os.path.join(here, '../../../../shared/tools/keras-torch-ref.py'))
ref = importlib.util.module_from_spec(spec); spec.loader.exec_module(ref)
rng = np.random.default_rng(7)

def conv(name, inp, cin, cout, k, act='linear', dilation=1):
    return {'class_name': 'Conv2D', 'name': name, 'inbound_nodes': [[[inp, 0, 0, {}]]],
            'config': {'name': name, 'filters': cout, 'kernel_size': [k, k], 'strides': [1, 1], 'padding': 'same',
                       'data_format': 'channels_last', 'dilation_rate': [dilation, dilation], 'groups': 1,
                       'activation': act, 'use_bias': True}}, (cin, cout, k)
def layer(cls, name, inputs, **cfg):
    return {'class_name': cls, 'name': name, 'inbound_nodes': [[[i, 0, 0, {}] for i in inputs]], 'config': {'name': name, **cfg}}

layers, convs = [], {}
layers.append({'class_name': 'InputLayer', 'name': 'LR', 'inbound_nodes': [],
               'config': {'batch_input_shape': [None, None, None, 3], 'dtype': 'float32', 'name': 'LR'}})
for name, inp, cin, cout, k, act, dil in [('conv_a', 'LR', 3, 8, 3, 'relu', 1), ('conv_b', 'conv_a', 8, 8, 3, 'linear', 1)]:
    l, convs[name] = conv(name, inp, cin, cout, k, act, dil); layers.append(l)
layers.append(layer('Activation', 'act', ['conv_b'], activation='tanh'))
layers.append(layer('Concatenate', 'cat', ['conv_a', 'act'], axis=-1))
l, convs['conv_c'] = conv('conv_c', 'cat', 16, 8, 1); layers.append(l)
layers.append(layer('MultiplyBeta', 'beta', ['conv_c'], beta=0.2))
layers.append(layer('Add', 'add', ['conv_a', 'beta']))
layers.append(layer('UpSampling2D', 'up', ['add'], size=[2, 2], interpolation='nearest', data_format='channels_last'))
l, convs['conv_d'] = conv('conv_d', 'up', 8, 12, 3); layers.append(l)
layers.append(layer('Activation', 'sig', ['conv_d'], activation='sigmoid'))
layers.append(layer('PixelShuffle2x', 'SR', ['sig']))
topology = {'class_name': 'Functional', 'config': {'name': 'tiny', 'layers': layers,
            'input_layers': [['LR', 0, 0]], 'output_layers': [['SR', 0, 0]]}}

# conv_b's kernel is stored as uint8 and conv_c's as float16, the rest as float32.
manifest, blob, dequantized = [], b'', {}
for name, (cin, cout, k) in convs.items():
    for part, shape in [('kernel', [k, k, cin, cout]), ('bias', [cout])]:
        w = rng.normal(0, 0.4, size=shape).astype(np.float32)
        entry = {'name': f'{name}/{part}', 'shape': shape, 'dtype': 'float32'}
        if name == 'conv_b' and part == 'kernel':
            lo, hi = float(w.min()), float(w.max()); scale = (hi - lo) / 255
            q = np.round((w - lo) / scale).astype(np.uint8)
            entry['quantization'] = {'dtype': 'uint8', 'scale': scale, 'min': lo}
            blob += q.tobytes(); w = (q.astype(np.float64) * scale + lo).astype(np.float32)
        elif name == 'conv_c' and part == 'kernel':
            h = w.astype(np.float16); entry['quantization'] = {'dtype': 'float16'}
            blob += h.tobytes(); w = h.astype(np.float32)
        else:
            blob += w.tobytes()
        manifest.append(entry); dequantized[entry['name']] = torch.from_numpy(w.copy())
half = len(blob) // 2  # two shards, split mid-weight, as TF.js does
open(os.path.join(out, 'group1-shard1of2.bin'), 'wb').write(blob[:half])
open(os.path.join(out, 'group1-shard2of2.bin'), 'wb').write(blob[half:])
json.dump({'format': 'layers-model', 'generatedBy': 'make_tiny_keras.py', 'modelTopology': {'model_config': topology},
           'weightsManifest': [{'paths': ['group1-shard1of2.bin', 'group1-shard2of2.bin'], 'weights': manifest}]},
          open(os.path.join(out, 'model.json'), 'w'), indent=1)

# Input [1, 3, 9, 10] by a formula the test repeats; output [1, 3, 36, 40] as little-endian float32.
c, y, x = np.meshgrid(np.arange(3), np.arange(9), np.arange(10), indexing='ij')
inp = torch.from_numpy((((x * 7 + y * 13 + c * 5) % 17) / 16.0).astype(np.float32))[None]
with torch.no_grad():
    result, _ = ref.run(topology['config'], dequantized, inp)
open(os.path.join(here, 'tiny_keras_output.bin'), 'wb').write(result.numpy().astype('<f4').tobytes())
print('output', tuple(result.shape))
