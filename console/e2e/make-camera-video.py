"""A Y4M file for Chromium's fake camera (--use-file-for-fake-video-capture): an EAN-13 label, drawn
with zxing-cpp, centred on white, a few identical frames. Usage: make-camera-video.py CODE OUT.y4m"""

import sys

import zxingcpp
from PIL import Image

code, out = sys.argv[1], sys.argv[2]
W, H = 640, 480
barcode = zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.EAN13)
label = Image.fromarray(zxingcpp.write_barcode_to_image(barcode, scale=4)).convert("L")
label = label.resize((label.width, 200))
frame = Image.new("L", (W, H), 255)
frame.paste(label, ((W - label.width) // 2, (H - label.height) // 2))
y = frame.tobytes()
uv = bytes([128]) * ((W // 2) * (H // 2))
with open(out, "wb") as f:
    f.write(f"YUV4MPEG2 W{W} H{H} F10:1 Ip A1:1 C420jpeg\n".encode())
    for _ in range(10):
        f.write(b"FRAME\n" + y + uv + uv)
