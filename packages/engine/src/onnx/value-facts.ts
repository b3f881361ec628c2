/** What shape inference knows about one value. */
import { DATA_TYPE } from "./data-type";
import type { Tensor } from "./model";
import { getElementCount, getTensorNumbers } from "./tensor";

/** What is known about a value: its shape and, for small constants, its elements. */
export interface ValueFacts {
  shape?: number[];
  elemType?: number;
  value?: number[];
}

/** Largest constant (elements) whose values are tracked; enough for shapes, axes and scalars. */
export const MAX_TRACKED_ELEMENTS = 64;

export function getTensorFacts(tensor: Tensor): ValueFacts {
  const facts: ValueFacts = { shape: [...tensor.dims], elemType: tensor.dataType };
  const small = getElementCount(tensor.dims) <= MAX_TRACKED_ELEMENTS;
  const numeric = tensor.dataType !== DATA_TYPE.STRING && tensor.dataType !== DATA_TYPE.FLOAT16;
  if (small && numeric && tensor.dataLocation !== 1) {
    try {
      facts.value = getTensorNumbers(tensor);
    } catch {
      // unreadable constant (exotic type): shape only
    }
  }
  return facts;
}
