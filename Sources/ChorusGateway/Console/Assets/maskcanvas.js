// The edit page's two stacked canvases: the image below, the mask above. Painting marks the mask canvas opaque
// (shown half transparent by CSS); the exported mask is the opposite, as the images/edits API wants it: painted
// pixels alpha 0 (to be replaced), everything else alpha 255.

const MAX_SIDE = 1024;

export class MaskEditor {
  constructor(imageCanvas, maskCanvas) {
    this.image = imageCanvas;
    this.mask = maskCanvas;
    this.tool = 'brush';
    this.size = 32;
    this.loaded = false;
    this.cursor = { x: 0, y: 0 };
    this.bindPointer();
    this.bindKeys();
  }

  /** Draws `bitmap` (anything drawImage takes) scaled to at most MAX_SIDE, and clears the mask. */
  load(bitmap, width, height) {
    const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    for (const canvas of [this.image, this.mask]) {
      canvas.width = w;
      canvas.height = h;
    }
    this.image.getContext('2d').drawImage(bitmap, 0, 0, w, h);
    this.cursor = { x: w / 2, y: h / 2 };
    this.loaded = true;
  }

  clear() {
    this.mask.getContext('2d').clearRect(0, 0, this.mask.width, this.mask.height);
  }

  invert() {
    const context = this.mask.getContext('2d');
    const pixels = context.getImageData(0, 0, this.mask.width, this.mask.height);
    const data = pixels.data;
    for (let i = 0; i < data.length; i += 4) {
      data[i] = 230;
      data[i + 1] = 30;
      data[i + 2] = 90;
      data[i + 3] = 255 - data[i + 3];
    }
    context.putImageData(pixels, 0, 0);
  }

  /** A stroke from (x0, y0) to (x1, y1) in canvas pixels, painting or erasing. */
  stroke(x0, y0, x1, y1) {
    const context = this.mask.getContext('2d');
    context.globalCompositeOperation = this.tool === 'eraser' ? 'destination-out' : 'source-over';
    context.strokeStyle = 'rgb(230, 30, 90)';
    context.lineWidth = this.size;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.beginPath();
    context.moveTo(x0, y0);
    context.lineTo(x1, y1);
    context.stroke();
  }

  point(event) {
    const rect = this.mask.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * this.mask.width) / rect.width,
      y: ((event.clientY - rect.top) * this.mask.height) / rect.height,
    };
  }

  bindPointer() {
    let last = null;
    this.mask.addEventListener('pointerdown', (event) => {
      if (!this.loaded) return;
      this.mask.setPointerCapture(event.pointerId);
      last = this.point(event);
      this.stroke(last.x, last.y, last.x, last.y);
    });
    this.mask.addEventListener('pointermove', (event) => {
      if (!last) return;
      const next = this.point(event);
      this.stroke(last.x, last.y, next.x, next.y);
      last = next;
    });
    const end = () => { last = null; };
    this.mask.addEventListener('pointerup', end);
    this.mask.addEventListener('pointercancel', end);
  }

  /** Arrow keys move the brush (with Space held or pressed, it paints along): painting without a mouse. */
  bindKeys() {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    let painting = false;
    this.mask.addEventListener('keydown', (event) => {
      if (!this.loaded) return;
      const { x, y } = this.cursor;
      if (event.key === ' ') {
        painting = !painting;
        this.stroke(x, y, x, y);
      } else if (moves[event.key]) {
        const step = Math.max(4, this.size / 2);
        const [dx, dy] = moves[event.key];
        const next = {
          x: Math.min(this.mask.width, Math.max(0, x + dx * step)),
          y: Math.min(this.mask.height, Math.max(0, y + dy * step)),
        };
        if (painting) this.stroke(x, y, next.x, next.y);
        this.cursor = next;
      } else {
        return;
      }
      event.preventDefault();
    });
    this.mask.addEventListener('blur', () => { painting = false; });
  }

  /** The mask as the API wants it, as a PNG Blob. */
  maskPNG() {
    const { width, height } = this.mask;
    const painted = this.mask.getContext('2d').getImageData(0, 0, width, height).data;
    const out = new OffscreenCanvas(width, height);
    const context = out.getContext('2d');
    const pixels = context.createImageData(width, height);
    for (let i = 0; i < painted.length; i += 4) {
      // Antialiased brush edges count as painted from half coverage on.
      pixels.data[i + 3] = painted[i + 3] >= 128 ? 0 : 255;
    }
    context.putImageData(pixels, 0, 0);
    return out.convertToBlob({ type: 'image/png' });
  }

  imagePNG() {
    return new Promise((resolve) => this.image.toBlob(resolve, 'image/png'));
  }
}
