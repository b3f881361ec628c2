export {
  type ModelEnergyBreakdown,
  type ModelEnergyInput,
  modelEnergyJoules,
  splitModelEnergy,
} from "./model-energy";
export {
  findPowerProfile,
  getPowerProfile,
  POWER_PROFILE_IDS,
  POWER_PROFILES,
  type PowerProfile,
  type PowerProfileId,
} from "./power-profiles";
