/** A decoded image before conversion: integer samples in [0, maxval], channel planes (CHW). */
export interface RawImage {
  channels: 1 | 3;
  height: number;
  width: number;
  /** channels × height × width samples, plane by plane (R, G, B or grey). */
  data: Uint8Array | Uint16Array;
  maxval: number;
  /** The class label, when the format carries one (CIFAR). */
  label?: number;
}
